/* test_fixture: the C fixture reader against a file written by
 * tests/reference/fixture_io.py, a write/read round trip, and the errors a
 * truncated or foreign file must produce. */
#include "fixture.h"
#include "tap.h"

#include <stdint.h>
#include <string.h>

static void test_python_file(void)
{
    Fixture *f = fixture_load(tap_srcpath("tests/fixtures/fixture_selftest.fix"));
    if (!ok(f != NULL, "load the fixture written by fixture_io.py"))
        return;
    ok(f->ntensors == 4, "four tensors (got %u)", f->ntensors);
    const FixtureTensor *x = fixture_get(f, "x");
    ok(x && x->dtype == FIXTURE_F32 && x->ndim == 4 && x->dims[0] == 2 && x->dims[1] == 3 &&
           x->dims[2] == 2 && x->dims[3] == 2 && x->count == 24,
       "x is float32 (2,3,2,2)");
    const float *xs = fixture_floats(f, "x", 4);
    int good = xs != NULL;
    for (int i = 0; xs && i < 24; i++)
        good &= xs[i] == (float)i * 0.5f - 3.0f;
    ok(good, "x values are arange(24)*0.5-3");
    const int32_t *lab = fixture_ints(f, "labels");
    ok(lab && lab[0] == 3 && lab[1] == -1 && lab[2] == 7, "int32 labels 3,-1,7");
    const FixtureTensor *s = fixture_get(f, "scalar");
    ok(s && s->ndim == 0 && s->count == 1 && *(const float *)s->data == 2.5f, "0-d scalar 2.5");
    const FixtureTensor *d = fixture_get(f, "double");
    ok(d && d->dtype == FIXTURE_F64 && d->count == 2 && ((const double *)d->data)[0] == 1.0 / 3.0 &&
           ((const double *)d->data)[1] == -2.0e-300,
       "float64 values survive exactly");
    ok(fixture_get(f, "missing") == NULL, "absent name gives NULL");
    ok(fixture_floats(f, "labels", 1) == NULL, "wrong dtype is refused by fixture_floats");
    fixture_free(f);
}

static void test_round_trip_and_errors(void)
{
    float a[6] = {1, -2, 3.5f, 0, 1e-30f, -7};
    int32_t b[2] = {42, -42};
    FixtureTensor t[2] = {
        {.name = "a", .dtype = FIXTURE_F32, .ndim = 2, .dims = {2, 3}, .count = 6, .data = a},
        {.name = "b", .dtype = FIXTURE_I32, .ndim = 1, .dims = {2}, .count = 2, .data = b},
    };
    const char *path = "test_fixture_roundtrip.fix";
    ok(fixture_save(path, 2, t) == 0, "fixture_save writes %s", path);
    Fixture *f = fixture_load(path);
    ok(f && fixture_get(f, "a") && memcmp(fixture_get(f, "a")->data, a, sizeof a) == 0 &&
           fixture_get(f, "b") && memcmp(fixture_get(f, "b")->data, b, sizeof b) == 0,
       "round trip keeps every bit");
    fixture_free(f);

    /* Truncate the file by 3 bytes: the reader must refuse it with a message. */
    FILE *fp = fopen(path, "rb");
    unsigned char buf[256];
    size_t len = fp ? fread(buf, 1, sizeof buf, fp) : 0;
    if (fp)
        fclose(fp);
    char err[512];
    fp = fopen(path, "wb");
    if (fp) {
        fwrite(buf, 1, len - 3, fp);
        fclose(fp);
    }
    f = fixture_load_err(path, err, sizeof err);
    ok(f == NULL && strstr(err, path) && strstr(err, "ends inside"), "truncated file refused: %s",
       err);

    fp = fopen(path, "wb");
    if (fp) {
        fputs("NOTAFIXTURE", fp);
        fclose(fp);
    }
    f = fixture_load_err(path, err, sizeof err);
    ok(f == NULL && strstr(err, "bad magic"), "foreign file refused: %s", err);
    f = fixture_load_err("does/not/exist.fix", err, sizeof err);
    ok(f == NULL && strstr(err, "does/not/exist.fix"), "missing file refused: %s", err);
    remove(path);
}

int main(void)
{
    test_python_file();
    test_round_trip_and_errors();
    return tap_done();
}
