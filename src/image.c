/* Pictures into grey items: the user's own PNG or JPEG files (the CLI's --pictures, the page's Data panel)
 * become dataset items of a chosen size, such as the lecture's 100×100 = 10,000-element bottleneck example.
 * Decoding is stb_image's and resizing stb_image_resize's (Debian's libstb-dev); both are compiled here with
 * static linkage, so they stay private to this file. Only PNG and JPEG are compiled in: the formats people
 * have, each announced by its first bytes, and the least of stb_image's parsers to trust with a stranger's
 * file. */
#include "internal.h"
#include <limits.h>
#include <stdio.h>
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
 * Also returns the frame's claimed size (0 × 0 if no frame header is met) for the checks before decoding, its
 * start-of-frame marker (0 if none; stb_image reads C0-C2: baseline, extended and progressive), and whether
 * the end-of-image marker was met (a file cut short has none). */
static int jpeg_walk_ok(const uint8_t *b, size_t len, int *fw, int *fh, int *sof, int *eoi) {
    size_t p = 0;
    *fw = *fh = *sof = *eoi = 0;
    while (p < len && b[p] == 0xFF) p++;
    if (p == 0 || p >= len || b[p] != 0xD8) return 1; /* not a JPEG: stb's JPEG reader refuses it at once */
    p++;
    for (;;) {
        while (p < len && b[p] != 0xFF) p++;
        while (p < len && b[p] == 0xFF) p++;
        if (p + 2 >= len) return 1;
        const uint8_t m = b[p++];
        if (m == 0xD9) return *eoi = 1;
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
            if (p + 7 <= len && !*sof) { /* the first frame header: length, precision, height, width */
                *fh = b[p + 3] << 8 | b[p + 4];
                *fw = b[p + 5] << 8 | b[p + 6];
                *sof = m;
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
 * chunk must fit in the file. *iend: the end chunk was met (a file cut between chunks has none, and stb_image
 * then reads zeros as a chunk of no known type). */
static int png_chunks_ok(const uint8_t *b, size_t len, int *iend) {
    *iend = 0;
    for (size_t p = 8; p + 8 <= len;) {
        const uint64_t n = (uint64_t)b[p] << 24 | (uint64_t)b[p + 1] << 16 | (uint64_t)b[p + 2] << 8 | b[p + 3];
        if (n + 12 > len - p) return 0; /* length, type, data, CRC */
        if (!memcmp(b + p + 4, "IEND", 4)) return *iend = 1; /* what follows the image is not stb's to read */
        p += 12 + (size_t)n;
    }
    return 1;
}

/* What a user reads when stb_image refuses a file. Its reasons are terse tags ("bad zlib header", "no SOI"),
 * one of them carrying four raw bytes of the file (an unknown critical PNG chunk's type), and a reason is only
 * set on some of its failure paths, so a stale one from an earlier probe (the JPEG reader's "no SOI" on a
 * PNG) can outlive the call: the reason is cleared before each call, and the tag becomes the kind of damage
 * in words, for the format that the file's first bytes announce. */
typedef struct { const char *tag, *says; } reason_text;
#define ENDS_EARLY "it ends before its pixels do"
#define NO_DECODE "its compressed pixels do not decode"
#define BAD_HEADER "its header is invalid"
#define BAD_TRNS "its transparency chunk is invalid"
static const reason_text reasons[] = { /* every tag of stb_image 2.27's PNG and JPEG readers but the JPEG header checks */
    /* a file that ends early (both formats) */
    {"outofdata", ENDS_EARLY}, {"read past buffer", ENDS_EARLY}, {"not enough pixels", ENDS_EARLY},
    /* PNG: the deflate stream and the row filters */
    {"bad zlib header", NO_DECODE}, {"no preset dict", NO_DECODE}, {"bad compression", NO_DECODE}, {"bad codelengths", NO_DECODE},
    {"bad sizes", NO_DECODE}, {"bad dist", NO_DECODE}, {"zlib corrupt", NO_DECODE}, {"output buffer limit", NO_DECODE},
    {"invalid filter", NO_DECODE}, {"no IDAT", "it holds no pixel data"},
    /* PNG: the header, palette and transparency chunks */
    {"multiple IHDR", BAD_HEADER}, {"bad IHDR len", BAD_HEADER}, {"first not IHDR", BAD_HEADER}, {"0-pixel image", BAD_HEADER},
    {"bad comp method", BAD_HEADER}, {"bad filter method", BAD_HEADER}, {"bad interlace method", BAD_HEADER}, {"invalid width", BAD_HEADER},
    {"too large", BAD_HEADER}, {"bad ctype", "its header names no PNG colour type"}, {"1/2/4/8/16-bit only", "its bit depth is not 1, 2, 4, 8 or 16"},
    {"invalid PLTE", "its palette is invalid"}, {"no PLTE", "it has no palette"}, {"tRNS after IDAT", BAD_TRNS}, {"tRNS before PLTE", BAD_TRNS},
    {"bad tRNS len", BAD_TRNS}, {"tRNS with alpha", BAD_TRNS},
    /* JPEG: the entropy-coded data, and what is missing or not read */
    {"bad huffman code", NO_DECODE}, {"bad DC huff", NO_DECODE}, {"bad AC huff", NO_DECODE}, {"can't merge dc and ac", NO_DECODE},
    {"no SOF", "it has no frame header"}, {"only 8-bit", "its samples are not 8-bit, the only kind read"},
    {"no header height", "it gives its height after its pixels (a DNL marker), which is not read"},
};

/* the reason in words; a tag this table does not know is given as it is, any byte that is not printable ASCII
 * shown as '?' (into buf) */
static const char *plain_reason(const char *tag, char *buf, size_t cap) {
    if (!tag || !*tag) return "no reason given";
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
        if (!strcmp(tag, reasons[i].tag)) return reasons[i].says;
    /* stb_image's "XXXX PNG chunk not known": a chunk it must understand (upper-case first letter) and does not */
    const size_t n = strlen(tag);
    if (n == 24 && !strcmp(tag + 4, " PNG chunk not known")) {
        int letters = 1;
        for (int i = 0; i < 4; i++) letters &= (tag[i] >= 'A' && tag[i] <= 'Z') || (tag[i] >= 'a' && tag[i] <= 'z');
        if (letters) snprintf(buf, cap, "it has a chunk \"%.4s\" that must be understood and is not", tag);
        else
            snprintf(buf, cap, "a chunk's type is not four letters: bytes %02X %02X %02X %02X", (unsigned)(uint8_t)tag[0], (unsigned)(uint8_t)tag[1],
                     (unsigned)(uint8_t)tag[2], (unsigned)(uint8_t)tag[3]);
        return buf;
    }
    /* JPEG's many header checks */
    if (!strncmp(tag, "bad ", 4) || !strcmp(tag, "expected marker") || !strcmp(tag, "unknown marker") || !strcmp(tag, "0 width"))
        return "its markers or tables are invalid";
    snprintf(buf, cap, "%s", tag);
    for (char *c = buf; *c; c++)
        if ((uint8_t)*c < 0x20 || (uint8_t)*c > 0x7E) *c = '?';
    return buf;
}

/* A file that is not a PNG or a JPEG, by its first bytes: the kinds people most often have, so that the
 * message can say what to do. NULL for anything else. */
static const char *other_kind(const uint8_t *b, size_t len) {
    if (len >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6))) return "a GIF";
    if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) return "a WebP picture";
    if (len >= 12 && !memcmp(b + 4, "ftyp", 4) && (!memcmp(b + 8, "heic", 4) || !memcmp(b + 8, "heix", 4))) return "a HEIC picture";
    if (len >= 12 && !memcmp(b + 4, "ftyp", 4) && (!memcmp(b + 8, "avif", 4) || !memcmp(b + 8, "avis", 4))) return "an AVIF picture";
    if (len >= 12 && !memcmp(b + 4, "ftyp", 4) && !memcmp(b + 8, "mif1", 4)) return "a HEIF picture (HEIC or AVIF)"; /* either's brand */
    if (len >= 4 && (!memcmp(b, "II*\0", 4) || !memcmp(b, "MM\0*", 4))) return "a TIFF picture";
    if (len >= 18 && b[0] == 'B' && b[1] == 'M') { /* and the size of one of the BMP info headers at 14 */
        const uint32_t hs = (uint32_t)b[14] | (uint32_t)b[15] << 8 | (uint32_t)b[16] << 16 | (uint32_t)b[17] << 24;
        if (hs == 12 || hs == 40 || hs == 52 || hs == 56 || hs == 64 || hs == 108 || hs == 124) return "a BMP picture";
    }
    for (size_t i = 0; i + 4 <= len && i < 512; i++)
        if (!memcmp(b + i, "<svg", 4)) return "an SVG drawing";
    return NULL;
}

/* The failure of an stb_image call on a file whose first bytes announced `fmt` ("PNG", "JPEG" or NULL); cut:
 * a file without its end (a JPEG's end marker, a PNG's end chunk), which stb_image reads on past as zeros and
 * so fails on for whatever reason those zeros give. */
static int decode_failed(const uint8_t *buf, size_t len, const char *fmt, int cut) {
    char tmp[128];
    if (!fmt) {
        const char *kind = other_kind(buf, len);
        if (kind) return ae_fail(AE_ERR_FORMAT, "not a PNG or JPEG picture but %s (save it as PNG or JPEG to use it)", kind);
        return ae_fail(AE_ERR_FORMAT, "not a PNG or JPEG picture");
    }
    const char *why = stbi__g_failure_reason;
    if (why && !strcmp(why, "outofmem")) return ae_fail(AE_ERR_NOMEM, "out of memory decoding a picture");
    if (cut) return ae_fail(AE_ERR_FORMAT, "the %s picture is cut short (the file ends before the picture does)", fmt);
    const char *says = plain_reason(why, tmp, sizeof tmp);
    if (why && (!strcmp(why, "only 8-bit") || !strcmp(why, "no header height")))
        return ae_fail(AE_ERR_FORMAT, "the %s picture is of a kind that is not read (%s)", fmt, says);
    return ae_fail(AE_ERR_FORMAT, "the %s picture is damaged or cut short (%s)", fmt, says);
}

int ae_image_gray(const uint8_t *buf, size_t len, int rows, int cols, uint8_t *out) {
    if (!out || rows < 1 || cols < 1 || (uint64_t)rows * (uint64_t)cols > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "cannot make a picture of %d×%d pixels: 1 to %d pixels", rows, cols, AE_MAX_WIDTH);
    if (!buf || len == 0) return ae_fail(AE_ERR_FORMAT, "the file is empty");
    if (len > INT_MAX) return ae_fail(AE_ERR_FORMAT, "the file is larger than 2 GB");
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    const int png = len >= 8 && !memcmp(buf, png_sig, 8);
    int iend = 0; /* a PNG's end chunk met */
    if (png && !png_chunks_ok(buf, len, &iend))
        return ae_fail(AE_ERR_FORMAT, "the PNG picture is damaged or cut short (a part of it runs past the end of the file)");
    size_t ff = 0; /* stb_image's JPEG reader skips FF fill bytes before the start-of-image marker */
    while (ff < len && buf[ff] == 0xFF) ff++;
    const int jpeg = !png && ff > 0 && ff < len && buf[ff] == 0xD8;
    const char *fmt = png ? "PNG" : jpeg ? "JPEG" : NULL;
    int jw = 0, jh = 0, sof = 0, eoi = 0; /* a JPEG's frame size and marker, when it has a frame header; its end marker met */
    if (!png && !jpeg_walk_ok(buf, len, &jw, &jh, &sof, &eoi))
        return ae_fail(AE_ERR_FORMAT, "the JPEG picture is damaged (a Huffman table with more than 256 codes)");
    if (sof > 0xC2) /* stb_image would say only "unknown marker" */
        return ae_fail(AE_ERR_FORMAT, "the JPEG picture is of a kind that is not read (%s; baseline and progressive JPEGs are)",
                       sof == 0xC3 || sof == 0xC7 || sof == 0xCB || sof == 0xCF ? "lossless" : sof >= 0xC9 ? "arithmetic-coded" : "hierarchical");
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
    /* a JPEG ends with its end marker, unless something follows it (then the walk met the marker) */
    const int cut = png ? !iend : jpeg && !eoi && !(len >= 2 && buf[len - 2] == 0xFF && buf[len - 1] == 0xD9);
    if (!fmt) return decode_failed(buf, len, NULL, 0);
    stbi__g_failure_reason = NULL;
    if (!stbi_info_from_memory(buf, (int)len, &w, &h, &comp)) {
        /* stbi_info tries each reader and ends on "unknown image type", whichever one failed; a load tries the
         * reader the first bytes pick, so its reason says what is wrong (it fails as the header did, before
         * allocating for pixels) */
        stbi__g_failure_reason = NULL;
        uint8_t *px = stbi_load_from_memory(buf, (int)len, &w, &h, &comp, 1);
        stbi_image_free(px);
        return decode_failed(buf, len, fmt, cut);
    }
    if (w < 1 || h < 1) return ae_fail(AE_ERR_FORMAT, "the picture claims %d×%d pixels: it is empty", w, h);
    if (w > AE_MAX_PICTURE_SIDE || h > AE_MAX_PICTURE_SIDE || (int64_t)w * h > AE_MAX_PICTURE_PIXELS)
        return ae_fail(AE_ERR_FORMAT, "the picture claims %d×%d pixels; at most %d per side and %d million in all are read", w, h,
                       AE_MAX_PICTURE_SIDE, AE_MAX_PICTURE_PIXELS / 1000000);
    stbi__g_failure_reason = NULL;
    uint8_t *px = stbi_load_from_memory(buf, (int)len, &w, &h, &comp, 1);
    if (!px) {
        if (stbi__g_failure_reason && !strcmp(stbi__g_failure_reason, "outofmem"))
            return ae_fail(AE_ERR_NOMEM, "out of memory decoding a picture of %d×%d pixels", w, h);
        return decode_failed(buf, len, fmt, cut);
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
