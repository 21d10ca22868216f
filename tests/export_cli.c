/* export_cli: `dartboard export` alone (export_main), so the export tests do
 * not depend on the rest of the program being built. */
#include "dartboard/export.h"

int main(int argc, char **argv)
{
    argv[0] = "export";
    return export_main(argc, argv);
}
