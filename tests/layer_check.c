/* layer_check: an empty program linked with one library whole and only the
 * layers below it (Makefile.am): it builds only while no file of that
 * library calls upwards. */
int main(void)
{
    return 0;
}
