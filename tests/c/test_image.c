/* Pictures into items (src/image.c) and images drawn at another size (ae_dataset_draw_at): known pictures
 * decode to known grey values, the centred crop keeps the middle, colour becomes luma, and every kind of bad
 * file (empty, text, truncated, a header claiming a giant picture, a zero-size picture) is refused with a
 * message. Drawing at a size interpolates bilinearly, undoes at the stored size, survives split and subset,
 * and feeds the output bias. */
#include "check.h"
#include "aelab.h"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image_write.h>
#include <stdint.h>

typedef struct { uint8_t *p; size_t n, cap; } membuf;
static void put_bytes(void *ctx, void *data, int size) {
    membuf *b = ctx;
    if (b->n + (size_t)size > b->cap) {
        b->cap = 2 * (b->n + (size_t)size);
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, (size_t)size);
    b->n += (size_t)size;
}
static membuf png(const uint8_t *px, int w, int h, int comp) {
    membuf b = {0};
    stbi_write_png_to_func(put_bytes, &b, w, h, comp, px, w * comp);
    return b;
}
/* a 16×16 JPEG, flat grey 128, quality 95, as stb_image_write 1.16 writes it (its JPEG writer shifts negative
 * values, which UBSan in the sanitizer build rejects, so the bytes are kept here instead of made at run time) */
static const uint8_t flat_jpg[616] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00, 0xff, 0xdb, 0x00, 0x84, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04, 0x04, 0x03, 0x04, 0x06, 0x05, 0x06,
    0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06, 0x07, 0x09, 0x07, 0x06, 0x06, 0x08, 0x0b, 0x08,
    0x09, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x06, 0x08, 0x0b, 0x0c, 0x0b, 0x0a, 0x0c, 0x09, 0x0a, 0x0a, 0x0a, 0x01,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x05, 0x03, 0x03, 0x05, 0x0a, 0x07, 0x06, 0x07, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00,
    0x10, 0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xc4, 0x01, 0xa2, 0x00, 0x00, 0x01,
    0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03,
    0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05,
    0x05, 0x04, 0x04, 0x00, 0x00, 0x01, 0x7d, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41,
    0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15,
    0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27,
    0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
    0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74,
    0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5,
    0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5,
    0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3,
    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0x01, 0x00, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x11, 0x00, 0x02, 0x01, 0x02, 0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77, 0x00,
    0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32,
    0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a,
    0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37,
    0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
    0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82,
    0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2,
    0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2,
    0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff,
    0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x28, 0x00, 0xa0, 0x02, 0x80,
    0x0a, 0x00, 0xff, 0xd9
};
static membuf bmp(const uint8_t *px, int w, int h, int comp) {
    membuf b = {0};
    stbi_write_bmp_to_func(put_bytes, &b, w, h, comp, px);
    return b;
}

/* a refused picture: non-zero status, a message containing `word`, and out untouched */
static void refused(const char *what, const uint8_t *buf, size_t len, const char *word) {
    uint8_t out[16 * 16];
    memset(out, 0xAB, sizeof out);
    ae_clear_error();
    int rc = ae_image_gray(buf, len, 16, 16, out);
    CHECK(rc != 0, "%s was accepted", what);
    CHECK(strstr(ae_last_error(), word) != NULL, "%s: message '%s' lacks '%s'", what, ae_last_error(), word);
    /* what a user reads: printable ASCII, and × (UTF-8 C3 97) in sizes; never a raw byte of the file */
    for (const unsigned char *c = (const unsigned char *)ae_last_error(); *c; c++) {
        const int times = c[0] == 0xC3 && c[1] == 0x97;
        CHECK(times || (*c >= 0x20 && *c < 0x7F), "%s: message '%s' has the byte %02X", what, ae_last_error(), *c);
        c += times;
    }
    int same = 1;
    for (size_t i = 0; i < sizeof out; i++) same &= out[i] == 0xAB;
    CHECK(same, "%s: the output was written to", what);
}

static void test_decode(void) {
    /* a 40×20 grey picture: columns 0..9 and 30..39 black, the middle 20 columns a ramp 10·y */
    uint8_t px[20 * 40];
    for (int y = 0; y < 20; y++)
        for (int x = 0; x < 40; x++) px[y * 40 + x] = x >= 10 && x < 30 ? (uint8_t)(10 * y) : 0;
    membuf b = png(px, 40, 20, 1);
    uint8_t out[20 * 20];
    CHECK(ae_image_gray(b.p, b.n, 20, 20, out) == 0, "%s", ae_last_error());
    /* a square item takes the middle 20×20, at its own size: the ramp, no black */
    int err = 0;
    for (int y = 0; y < 20; y++)
        for (int x = 0; x < 20; x++) err += abs(out[y * 20 + x] - 10 * y) > 1;
    CHECK(err == 0, "the centred crop at the same size is not the middle of the picture (%d pixels off)", err);
    /* the same at 100×100: rows still rise from top to bottom, columns alike */
    uint8_t *big = malloc(100 * 100);
    CHECK(ae_image_gray(b.p, b.n, 100, 100, big) == 0, "%s", ae_last_error());
    CHECK(big[5 * 100 + 50] < big[50 * 100 + 50] && big[50 * 100 + 50] < big[95 * 100 + 50], "upscaled ramp %d %d %d", big[5 * 100 + 50],
          big[50 * 100 + 50], big[95 * 100 + 50]);
    CHECK(abs(big[50 * 100 + 2] - big[50 * 100 + 97]) <= 2 && abs(big[50 * 100 + 2] - big[50 * 100 + 50]) <= 3, "columns differ after the crop");
    free(big);
    free(b.p);

    /* colour becomes luma (77 R + 150 G + 29 B) >> 8: pure red 76, pure green 149, pure blue 28 */
    uint8_t rgb[3 * 8 * 24];
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 24; x++)
            for (int c = 0; c < 3; c++) rgb[(y * 24 + x) * 3 + c] = c == x / 8 ? 255 : 0;
    b = png(rgb, 24, 8, 3);
    uint8_t row[8 * 24];
    CHECK(ae_image_gray(b.p, b.n, 8, 24, row) == 0, "%s", ae_last_error());
    CHECK(abs(row[4 * 24 + 3] - 76) <= 1 && abs(row[4 * 24 + 12] - 149) <= 1 && abs(row[4 * 24 + 20] - 28) <= 1, "luma %d %d %d", row[4 * 24 + 3],
          row[4 * 24 + 12], row[4 * 24 + 20]);
    free(b.p);

    /* a JPEG of a flat grey 128; a BMP is not read (PNG and JPEG only) */
    uint8_t flat[32 * 32];
    memset(flat, 128, sizeof flat);
    membuf j = {malloc(sizeof flat_jpg), sizeof flat_jpg, sizeof flat_jpg}, m = bmp(flat, 32, 32, 1);
    memcpy(j.p, flat_jpg, sizeof flat_jpg);
    uint8_t o1[10 * 10], o2[10 * 10];
    CHECK(ae_image_gray(j.p, j.n, 10, 10, o1) == 0 && abs(o1[55] - 128) <= 2, "jpeg: %s %d", ae_last_error(), o1[55]);
    CHECK(ae_image_gray(m.p, m.n, 10, 10, o2) == AE_ERR_FORMAT && strstr(ae_last_error(), "not a PNG or JPEG picture but a BMP picture"), "bmp: %s",
          ae_last_error());

    /* bad files */
    refused("an empty file", j.p, 0, "empty");
    const char *text = "these are not the pixels you are looking for\n";
    refused("a text file", (const uint8_t *)text, strlen(text), "not a PNG or JPEG");
    membuf p2 = png(px, 40, 20, 1);
    refused("a PNG cut in half", p2.p, p2.n / 2, "damaged");
    refused("a JPEG cut after its header", j.p, 200, "the JPEG picture is cut short");
    refused("a JPEG cut after its first marker", j.p, 3, "the JPEG picture is cut short");
    refused("a GIF", (const uint8_t *)"GIF89a\x10\x00\x10\x00\x80\x00\x00", 13, "but a GIF");
    refused("a WebP", (const uint8_t *)"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00", 20, "but a WebP picture");
    /* stb_image's reasons in words, for the format the file announces. The PNG writer's layout: signature (8),
     * IHDR (25: bit depth at 24, colour type at 25), then IDAT's length (33) and type (37..40) and data (41..) */
    membuf q = png(px, 40, 20, 1);
    uint8_t *bad = malloc(q.n);
    memcpy(bad, q.p, q.n);
    bad[40] = 0xF3; /* "IDA\xF3": a chunk stb must understand and does not, named by its raw bytes before */
    refused("a PNG chunk type with a byte that is not a letter", bad, q.n, "bytes 49 44 41 F3");
    memcpy(bad, q.p, q.n);
    bad[24] = 3;
    refused("a PNG of bit depth 3", bad, q.n, "bit depth is not 1, 2, 4, 8 or 16");
    memcpy(bad, q.p, q.n);
    bad[25] = 5;
    refused("a PNG of colour type 5", bad, q.n, "no PNG colour type");
    memcpy(bad, q.p, q.n);
    for (size_t i = 43; i + 12 < q.n; i += 3) bad[i] ^= 0x5A; /* the deflate stream, past its 2-byte header */
    /* before, the reason left over from stb's JPEG probe ("no SOI") was shown for this PNG */
    refused("a PNG whose compressed pixels are damaged", bad, q.n, "the PNG picture is damaged or cut short (its compressed pixels do not decode)");
    /* cut between chunks (before IEND): stb reads zeros as a chunk of no known type; said as cut short */
    refused("a PNG without its end chunk", q.p, q.n - 12, "the PNG picture is cut short");
    free(bad);
    free(q.p);
    refused("a text file starting BM", (const uint8_t *)"BMW 3 series, 1990: notes on the engine", 39, "not a PNG or JPEG picture");
    {
        uint8_t *lossless = malloc(j.n);
        memcpy(lossless, j.p, j.n);
        for (size_t i = 0; i + 1 < j.n; i++)
            if (lossless[i] == 0xFF && lossless[i + 1] == 0xC0) { lossless[i + 1] = 0xC3; break; }
        refused("a lossless JPEG", lossless, j.n, "of a kind that is not read (lossless;");
        free(lossless);
    }
    /* a JPEG bomb: the start-of-frame marker (FFC0) claims 60,000 × 60,000 */
    uint8_t *bomb = malloc(j.n);
    memcpy(bomb, j.p, j.n);
    int patched = 0;
    for (size_t i = 0; i + 9 < j.n && !patched; i++)
        if (bomb[i] == 0xFF && bomb[i + 1] == 0xC0) {
            bomb[i + 5] = 60000 >> 8; bomb[i + 6] = 60000 & 255; /* height */
            bomb[i + 7] = 60000 >> 8; bomb[i + 8] = 60000 & 255; /* width */
            patched = 1;
        }
    CHECK(patched, "no SOF0 marker in the test JPEG");
    refused("a JPEG claiming 60000×60000", bomb, j.n, "60000");
    /* a real Huffman table of more than 256 codes (stb 2.27 would write past its table) */
    memcpy(bomb, j.p, j.n);
    size_t dht = 0;
    for (size_t i = 0; i + 1 < j.n && !dht; i++)
        if (bomb[i] == 0xFF && bomb[i + 1] == 0xC4) dht = i;
    CHECK(dht, "no DHT marker in the test JPEG");
    for (int k = 0; k < 16; k++) bomb[dht + 5 + k] = 200;
    refused("a JPEG Huffman table of 3200 codes", bomb, j.n, "Huffman table");
    free(bomb);
    /* a whole PNG claiming 0 pixels wide (IHDR width at bytes 16..19; stb does not check CRCs) */
    membuf z = png(px, 40, 20, 1);
    z.p[16] = z.p[17] = z.p[18] = z.p[19] = 0;
    refused("a zero-width PNG", z.p, z.n, "it is empty");
    free(z.p);
    /* valid pictures with FF C4 (a Huffman-table marker) or junk where stb does not read: in a comment, after
     * the end of the image (a motion photo's video), after a PNG's IEND */
    static const uint8_t junk[] = {0xFF, 0xC4, 0x00, 0x40, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x12, 0x34};
    uint8_t *ok = malloc(j.n + 64);
    memcpy(ok, j.p, j.n);
    memcpy(ok + j.n, junk, sizeof junk);
    CHECK(ae_image_gray(ok, j.n + sizeof junk, 10, 10, o1) == 0 && abs(o1[55] - 128) <= 2, "a JPEG with a trailer: %s", ae_last_error());
    ok[0] = 0xFF; ok[1] = 0xD8; ok[2] = 0xFF; ok[3] = 0xFE; ok[4] = 0; ok[5] = 2 + sizeof junk; /* SOI, then a comment holding junk */
    memcpy(ok + 6, junk, sizeof junk);
    memcpy(ok + 6 + sizeof junk, j.p + 2, j.n - 2);
    CHECK(ae_image_gray(ok, j.n + 4 + sizeof junk, 10, 10, o1) == 0 && abs(o1[55] - 128) <= 2, "a JPEG with a comment: %s", ae_last_error());
    membuf t = png(px, 40, 20, 1);
    uint8_t *tail = malloc(t.n + sizeof junk);
    memcpy(tail, t.p, t.n);
    memcpy(tail + t.n, junk, sizeof junk);
    CHECK(ae_image_gray(tail, t.n + sizeof junk, 20, 20, out) == 0 && abs(out[19 * 20 + 5] - 190) <= 1, "a PNG with bytes after IEND: %s", ae_last_error());
    free(tail); free(t.p); free(ok);
    /* a wrong item size is the caller's error */
    CHECK(ae_image_gray(j.p, j.n, 0, 10, o1) == AE_ERR_ARG, "0 rows accepted");
    free(j.p); free(m.p); free(p2.p);

    /* into a dataset */
    ae_dataset d;
    CHECK(ae_dataset_pixels(&d, 3, 10, 10) == 0, "%s", ae_last_error());
    membuf g = png(flat, 32, 32, 1);
    CHECK(ae_dataset_set_image(&d, 1, g.p, g.n) == 0 && d.pixels[100 + 42] == 128 && d.pixels[42] == 0, "set_image into item 1");
    CHECK(ae_dataset_set_image(&d, 3, g.p, g.n) == AE_ERR_ARG, "item 3 of 3 accepted");
    ae_dataset_free(&d);
    CHECK(ae_dataset_pixels(&d, 0, 10, 10) == AE_ERR_ARG && !d.pixels, "0 pictures accepted");
    free(g.p);
}

static void test_draw_at(void) {
    /* a 2×2 item [0 255; 255 0] drawn at 4×4: centres map to −0.25, 0.25, 0.75, 1.25, clamped to [0, 1] */
    static const uint8_t x[2 * 4] = {0, 255, 255, 0, 10, 20, 30, 40};
    ae_dataset d;
    CHECK(ae_dataset_pixels(&d, 2, 2, 2) == 0, "%s", ae_last_error());
    memcpy(d.pixels, x, sizeof x);
    CHECK(ae_dataset_draw_at(&d, 4, 4) == 0 && ae_dataset_dim(&d) == 16 && d.src_rows == 2, "draw at 4×4");
    float b[2 * 16];
    ae_dataset_batch(&d, NULL, 0, 2, b);
    const float w[4] = {0.0f, 0.25f, 0.75f, 1.0f}; /* weight of the second stored row/column */
    int bad = 0;
    for (int y = 0; y < 4; y++)
        for (int xx = 0; xx < 4; xx++) {
            float top = 255.0f * w[xx], bot = 255.0f * (1.0f - w[xx]);
            bad += fabsf(b[y * 4 + xx] - (top + w[y] * (bot - top)) / 255.0f) > 1e-6f;
        }
    CHECK(bad == 0, "bilinear values off in %d places (b[5]=%g)", bad, b[5]);
    CHECK(fabsf(b[16] - 10.0f / 255.0f) < 1e-7f && fabsf(b[31] - 40.0f / 255.0f) < 1e-7f, "item 2's corners");
    /* split and subset keep the drawing size, and read the right stored item */
    ae_dataset t, s;
    uint32_t idx[1] = {1};
    CHECK(ae_dataset_subset(&s, &d, idx, 1) == 0 && s.rows == 4 && s.src_rows == 2, "subset");
    float sb[16];
    ae_dataset_batch(&s, NULL, 0, 1, sb);
    CHECK(!memcmp(sb, b + 16, sizeof sb), "the subset's item is not item 1 drawn");
    CHECK(ae_dataset_split(&d, 1, &t) == 0 && t.rows == 4 && t.src_cols == 2, "split");
    ae_dataset_batch(&t, NULL, 0, 1, sb);
    CHECK(!memcmp(sb, b + 16, sizeof sb), "the split's tail is not item 1 drawn");
    /* drawn back at the stored size: plain pixels again */
    CHECK(ae_dataset_draw_at(&t, 2, 2) == 0 && t.src_rows == 0 && ae_dataset_dim(&t) == 4, "undo");
    ae_dataset_batch(&t, NULL, 0, 1, sb);
    CHECK(sb[0] == 10.0f / 255.0f && sb[3] == 40.0f / 255.0f, "undone values");
    CHECK(ae_dataset_draw_at(&t, 0, 4) == AE_ERR_ARG && ae_dataset_draw_at(&t, 2000, 2000) == AE_ERR_ARG, "absurd sizes accepted");
    float v[4] = {0};
    ae_dataset f;
    CHECK(ae_dataset_floats(&f, v, 1, 2, 2) == 0 && ae_dataset_draw_at(&f, 4, 4) == AE_ERR_ARG, "a float dataset drawn at a size");
    /* a view drawn at another size reads the same stored items; freeing it leaves them to their owner */
    ae_dataset view;
    CHECK(ae_dataset_view(&view, &t) == 0 && ae_dataset_draw_at(&view, 4, 4) == 0 && t.rows == 2, "view");
    ae_dataset_batch(&view, NULL, 0, 1, sb);
    CHECK(fabsf(sb[0] - 10.0f / 255.0f) < 1e-7f && fabsf(sb[15] - 40.0f / 255.0f) < 1e-7f, "the view's corners");
    ae_dataset_free(&view);
    CHECK(t.pixels && t.pixels[3] == 40, "freeing the view freed its source's pixels");
    ae_dataset_free(&f); ae_dataset_free(&s); ae_dataset_free(&t); ae_dataset_free(&d);

    /* MNIST at 100×100: the output bias starts at the drawn images' mean */
    ae_dataset mn;
    if (ae_idx_images_file(&mn, MNIST_TEST_IMAGES)) { CHECK(0, "%s", ae_last_error()); return; }
    mn.n = 200;
    CHECK(ae_dataset_draw_at(&mn, 100, 100) == 0, "%s", ae_last_error());
    ae_arch a;
    ae_model m;
    CHECK(ae_arch_parse(&a, "10000-20-10000", "relu", NULL, "sigmoid", NULL) == 0 && ae_model_init(&m, &a, 8, 1) == 0, "%s", ae_last_error());
    CHECK(ae_model_init_output_bias(&m, &mn) == 0, "%s", ae_last_error());
    float *row = malloc(10000 * sizeof *row);
    double sum = 0;
    for (int i = 0; i < 200; i++) {
        ae_dataset_batch(&mn, NULL, i, 1, row);
        sum += row[5050]; /* a centre pixel: its mean over the items */
    }
    const float mean = (float)(sum / 200), bias = ae_model_tensor(&m, 1, 1)[5050];
    CHECK(fabsf(1.0f / (1.0f + expf(-bias)) - (mean < 1e-3f ? 1e-3f : mean)) < 1e-4f, "bias %g is not the logit of the drawn mean %g", bias, mean);
    free(row);
    ae_model_free(&m);
    ae_dataset_free(&mn);
}

int main(void) {
    test_decode();
    test_draw_at();
    return check_report("test_image");
}
