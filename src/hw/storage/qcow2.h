/*
 * qcow2 image files (versions 2 and 3), written from the published format
 * specification (QEMU's docs/interop/qcow2.txt).
 *
 * Opened images are byte-addressable virtual disks: qcow2_read/qcow2_write
 * take any offset and length inside the virtual size. A malformed or hostile
 * image is refused at open, or the access that meets the bad metadata fails
 * with -EIO and a message; nothing read from the file is trusted without
 * bounds checks.
 */
#ifndef NYX_HW_STORAGE_QCOW2_H
#define NYX_HW_STORAGE_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qcow2;

/* True if the first bytes of the file carry the qcow2 magic. */
bool qcow2_probe(const uint8_t *head, size_t len);

/* Opens path; NULL with err filled if the image is unusable. Backing files
 * are opened read-only, relative to the image's directory. */
struct qcow2 *qcow2_open(const char *path, bool readonly, char *err, size_t err_len);
void qcow2_close(struct qcow2 *q);

uint64_t qcow2_size(const struct qcow2 *q);
unsigned qcow2_cluster_size(const struct qcow2 *q);
/* 0 or negative errno; on failure qcow2_error() says why. */
int qcow2_read(struct qcow2 *q, uint64_t offset, void *buf, size_t len);
int qcow2_write(struct qcow2 *q, uint64_t offset, const void *buf, size_t len);
int qcow2_flush(struct qcow2 *q);
const char *qcow2_error(const struct qcow2 *q);

#endif
