/* Pictures into grey items: the user's own PNG or JPEG files (the CLI's --pictures, the page's Data panel)
 * become dataset items of a chosen size, such as the lecture's 100×100 = 10,000-element bottleneck example.
 * Decoding is stb_image's and resizing stb_image_resize's (Debian's libstb-dev); both are compiled here with
 * static linkage, so they stay private to this file. Only PNG and JPEG are compiled in: the formats people
 * have, each announced by its first bytes, and the least of stb_image's parsers to trust with a stranger's
 * file. */
#include "internal.h"
#include <limits.h>
#include <string.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
/* the same decoder natively as in wasm (which has no SSE2): stb's SSE2 IDCT matches its C one, but its colour
 * conversion and upsampling kernels are not promised to, and a picture must give the same pixels everywhere */
#define STBI_NO_SIMD
/* stb's asserts check its own invariants with assert(), which a corrupt file can break (2.27 even reads past
 * a table inside one): an abort() is not an answer to a user's bad file, so they are compiled out */
#define STBI_ASSERT(x) ((void)0)
#define STBIR_ASSERT(x) ((void)0)
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
/* stb declares helpers this file does not call (a warning raised at the end of the file, so not popped) */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_image.h>
#define STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>
#pragma GCC diagnostic pop

/* Debian 12's stb_image (2.27) trusts a JPEG Huffman table's 16 code counts: a sum over 256 writes past the
 * table (upstream checks it since 2.28; our fuzzer found it). So the markers are walked here as stb_image
 * walks them, and every define-Huffman-table segment it would read is checked first. stb_image: finds a
 * marker by skipping bytes up to an FF and then FF fill bytes; leaves every segment it accepts exactly where
 * its length says (else it fails); reads entropy-coded data after a scan header until an FF that is not
 * followed by 00 (a stuffed byte) or a restart marker (D0..D7); stops at the end-of-image marker, so data
 * appended after it (a phone's motion photo) is never read. Reads past the file's end give 0, as in stb.
 * Also returns the frame's claimed size (0 × 0 if no frame header is met) for the checks before decoding. */
static int jpeg_walk_ok(const uint8_t *b, size_t len, int *fw, int *fh) {
    size_t p = 0;
    *fw = *fh = 0;
    while (p < len && b[p] == 0xFF) p++;
    if (p == 0 || p >= len || b[p] != 0xD8) return 1; /* not a JPEG: stb's JPEG reader refuses it at once */
    p++;
    for (;;) {
        while (p < len && b[p] != 0xFF) p++;
        while (p < len && b[p] == 0xFF) p++;
        if (p + 2 >= len) return 1;
        const uint8_t m = b[p++];
        if (m == 0xD9) return 1;
        if (m == 0x00 || (m >= 0xD0 && m <= 0xD7)) continue; /* no segment: stb refuses or skips it */
        const size_t seg = (size_t)b[p] << 8 | b[p + 1];
        if (m == 0xC4) {
            size_t q = p + 2;
            long left = (long)seg - 2;
            while (left > 0 && q < len) {
                int n = 0;
                for (int k = 1; k <= 16; k++) n += q + k < len ? b[q + k] : 0;
                if (n > 256) return 0;
                q += 17 + (size_t)n;
                left -= 17 + n;
            }
        } else if ((m >= 0xC0 && m <= 0xC3) || (m >= 0xC5 && m <= 0xC7) || (m >= 0xC9 && m <= 0xCB) || (m >= 0xCD && m <= 0xCF)) {
            if (p + 7 <= len) { /* frame header: length, precision, height, width */
                *fh = b[p + 3] << 8 | b[p + 4];
                *fw = b[p + 5] << 8 | b[p + 6];
            }
        }
        p += seg;
        if (m == 0xDA) /* entropy-coded data up to the next real marker */
            for (; p + 1 < len; p++) {
                if (b[p] != 0xFF) continue;
                size_t q = p + 1;
                while (q < len && b[q] == 0xFF) q++;
                if (q < len && (b[q] == 0x00 || (b[q] >= 0xD0 && b[q] <= 0xD7))) { p = q; continue; }
                break;
            }
    }
}

/* stb_image grows its buffer for a PNG's compressed data to whatever a chunk header claims before reading the
 * chunk, so 60 bytes claiming a 1.7 GB chunk would allocate 1.7 GB (grown wasm memory never shrinks). Every
 * chunk must fit in the file. */
static int png_chunks_ok(const uint8_t *b, size_t len) {
    for (size_t p = 8; p + 8 <= len;) {
        const uint64_t n = (uint64_t)b[p] << 24 | (uint64_t)b[p + 1] << 16 | (uint64_t)b[p + 2] << 8 | b[p + 3];
        if (n + 12 > len - p) return 0; /* length, type, data, CRC */
        if (!memcmp(b + p + 4, "IEND", 4)) return 1; /* what follows the image is not stb's to read */
        p += 12 + (size_t)n;
    }
    return 1;
}

int ae_image_gray(const uint8_t *buf, size_t len, int rows, int cols, uint8_t *out) {
    if (!out || rows < 1 || cols < 1 || (uint64_t)rows * (uint64_t)cols > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "cannot make a picture of %d×%d pixels: 1 to %d pixels", rows, cols, AE_MAX_WIDTH);
    if (!buf || len == 0) return ae_fail(AE_ERR_FORMAT, "the file is empty");
    if (len > INT_MAX) return ae_fail(AE_ERR_FORMAT, "the file is larger than 2 GB");
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    const int png = len >= 8 && !memcmp(buf, png_sig, 8);
    if (png && !png_chunks_ok(buf, len))
        return ae_fail(AE_ERR_FORMAT, "the picture is damaged or cut short (a PNG chunk runs past the end of the file)");
    int jw = 0, jh = 0; /* a JPEG's frame size, when it has a frame header */
    if (!png && !jpeg_walk_ok(buf, len, &jw, &jh))
        return ae_fail(AE_ERR_FORMAT, "the picture is damaged (a JPEG Huffman table with more than 256 codes)");
    int w, h, comp;
    /* the header alone: its claimed size is checked before stb_image allocates for it (a PNG's and a JPEG's are
     * read here, as stb_image's own checks would only say "unknown image type") */
    if ((png && len >= 24) || jw || jh) {
        const uint64_t pw = png ? (uint64_t)buf[16] << 24 | (uint64_t)buf[17] << 16 | (uint64_t)buf[18] << 8 | buf[19] : (uint64_t)jw;
        const uint64_t ph = png ? (uint64_t)buf[20] << 24 | (uint64_t)buf[21] << 16 | (uint64_t)buf[22] << 8 | buf[23] : (uint64_t)jh;
        if (pw == 0 || ph == 0)
            return ae_fail(AE_ERR_FORMAT, "the picture claims %llu×%llu pixels: it is empty", (unsigned long long)pw, (unsigned long long)ph);
        if (pw > AE_MAX_PICTURE_SIDE || ph > AE_MAX_PICTURE_SIDE || pw * ph > AE_MAX_PICTURE_PIXELS)
            return ae_fail(AE_ERR_FORMAT, "the picture claims %llu×%llu pixels; at most %d per side and %d million in all are read",
                           (unsigned long long)pw, (unsigned long long)ph, AE_MAX_PICTURE_SIDE, AE_MAX_PICTURE_PIXELS / 1000000);
    }
    if (!stbi_info_from_memory(buf, (int)len, &w, &h, &comp))
        return ae_fail(AE_ERR_FORMAT, "not a PNG or JPEG picture (%s)", stbi_failure_reason());
    if (w < 1 || h < 1) return ae_fail(AE_ERR_FORMAT, "the picture claims %d×%d pixels: it is empty", w, h);
    if (w > AE_MAX_PICTURE_SIDE || h > AE_MAX_PICTURE_SIDE || (int64_t)w * h > AE_MAX_PICTURE_PIXELS)
        return ae_fail(AE_ERR_FORMAT, "the picture claims %d×%d pixels; at most %d per side and %d million in all are read", w, h,
                       AE_MAX_PICTURE_SIDE, AE_MAX_PICTURE_PIXELS / 1000000);
    uint8_t *px = stbi_load_from_memory(buf, (int)len, &w, &h, &comp, 1);
    if (!px) {
        const char *why = stbi_failure_reason();
        if (why && !strcmp(why, "outofmem")) return ae_fail(AE_ERR_NOMEM, "out of memory decoding a picture of %d×%d pixels", w, h);
        return ae_fail(AE_ERR_FORMAT, "the picture is damaged or cut short (%s)", why ? why : "no reason given");
    }
    /* the largest centred part with the item's aspect ratio: cw/ch = cols/rows, rounded to whole pixels */
    int cw = w, ch = h;
    if ((int64_t)w * rows > (int64_t)h * cols) cw = (int)(((int64_t)h * cols + rows / 2) / rows);
    else ch = (int)(((int64_t)w * rows + cols / 2) / cols);
    cw = cw < 1 ? 1 : cw;
    ch = ch < 1 ? 1 : ch;
    const uint8_t *from = px + (size_t)((h - ch) / 2) * (size_t)w + (size_t)((w - cw) / 2);
    const int ok = stbir_resize_uint8(from, cw, ch, w, out, cols, rows, cols, 1);
    stbi_image_free(px);
    return ok ? AE_OK : ae_fail(AE_ERR_NOMEM, "out of memory resizing a picture of %d×%d pixels to %d×%d", cw, ch, cols, rows);
}

int ae_dataset_set_image(ae_dataset *d, int i, const uint8_t *buf, size_t len) {
    if (!d || !d->pixels) return ae_fail(AE_ERR_ARG, "pictures go into a dataset of images (ae_dataset_pixels)");
    if (i < 0 || i >= d->n) return ae_fail(AE_ERR_ARG, "picture %d is outside the dataset's %d items", i, d->n);
    const int r = d->src_rows ? d->src_rows : d->rows, c = d->src_rows ? d->src_cols : d->cols;
    return ae_image_gray(buf, len, r, c, d->pixels + (size_t)i * r * c);
}
