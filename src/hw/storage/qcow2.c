/*
 * qcow2 block format (see qcow2.h).
 *
 * Layout reminder (all metadata big endian):
 *   header (cluster 0) -> L1 table -> L2 tables -> data clusters
 *   header -> refcount table -> refcount blocks -> a refcount per cluster
 * Guest offset -> l1 index = off >> (cluster_bits + l2_bits),
 *                 l2 index = (off >> cluster_bits) & (l2_entries - 1).
 *
 * Design notes and invariants:
 * - Allocation only appends: new clusters come from `file_end`, which starts
 *   at the file size rounded up to a cluster. Freed clusters (refcount 0) are
 *   not reused, which keeps every update ordering simple.
 * - Crash ordering (a kill at any point leaves an image `qemu-img check`
 *   accepts, with at worst leaked clusters): a cluster's refcount is written
 *   before anything points at it; data is written before the L2 entry that
 *   maps it; an L2 table is written before the L1 entry that points at it;
 *   a refcount block before the refcount table entry; a new refcount table
 *   completely before the header points at it. Refcounts of replaced
 *   clusters are decremented only after the new mapping is written.
 *   Metadata is written through (no write-back cache), so process death
 *   loses nothing that was acknowledged; qcow2_flush() adds fdatasync.
 * - Every offset read from the file is checked (alignment, inside the file)
 *   before use. Tables are loaded with sizes bounded at open.
 * - Clusters whose L2 entry lacks the COPIED flag (shared with an internal
 *   snapshot), compressed clusters, zero clusters and unallocated clusters
 *   are never written in place: a write allocates a new cluster (copy on
 *   write, reading the old content through the normal read path, which
 *   includes the backing file).
 */
#include "hw/storage/qcow2.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define QCOW2_MAGIC 0x514649FBu
#define L1E_OFFSET_MASK 0x00FFFFFFFFFFFE00ULL
#define L2E_OFFSET_MASK 0x00FFFFFFFFFFFE00ULL
#define QCOW_OFLAG_COPIED (1ULL << 63)
#define QCOW_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW_OFLAG_ZERO 1ULL
#define RT_OFFSET_MASK 0xFFFFFFFFFFFFFE00ULL

#define INCOMPAT_DIRTY (1ULL << 0)
#define INCOMPAT_CORRUPT (1ULL << 1)
#define INCOMPAT_KNOWN (INCOMPAT_DIRTY | INCOMPAT_CORRUPT)

#define EXT_END 0
#define EXT_BACKING_FORMAT 0xE2792ACAu

#define MAX_L1_BYTES (32ULL << 20)
#define MAX_RT_BYTES (64ULL << 20)
#define MAX_BACKING_DEPTH 16
#define CACHE_SLOTS 8

struct table_cache {
	uint64_t offset[CACHE_SLOTS];
	uint8_t *data[CACHE_SLOTS];
	uint64_t used[CACHE_SLOTS];
	uint64_t tick;
};

struct qcow2 {
	int fd;
	bool readonly;
	char path[PATH_MAX];
	uint32_t version;
	uint32_t cluster_bits;
	uint64_t cluster_size;
	uint32_t l2_bits;
	uint64_t l2_entries;
	uint64_t size;
	uint64_t l1_offset;
	uint32_t l1_size;
	uint64_t *l1;              /* host byte order */
	uint64_t rt_offset;
	uint32_t rt_clusters;
	uint64_t rt_entries;
	uint64_t *rt;              /* host byte order */
	bool rt_growing;           /* defer refcount-table writes */
	unsigned refcount_order;
	uint64_t rb_entries;       /* refcounts per block */
	uint64_t file_end;
	uint64_t file_size;        /* bytes actually in the file */
	struct table_cache l2c, rbc;
	struct qcow2 *backing;     /* qcow2 backing file, or */
	int backing_fd;            /* raw backing file (-1: none) */
	uint64_t backing_size;
	uint8_t *cluster_buf;      /* one cluster: COW merges */
	uint8_t *zbuf;             /* compressed input */
	char err[256];
};

static int fail(struct qcow2 *q, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct qcow2 *q, int rc, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(q->err, sizeof(q->err), "%s: %s", q->path, msg);
	return rc;
}

const char *qcow2_error(const struct qcow2 *q) { return q->err; }
uint64_t qcow2_size(const struct qcow2 *q) { return q->size; }
unsigned qcow2_cluster_size(const struct qcow2 *q) { return (unsigned)q->cluster_size; }

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

bool qcow2_probe(const uint8_t *head, size_t len)
{
	return len >= 4 && be32(head) == QCOW2_MAGIC;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;   /* short file */
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int pwrite_full(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	uint64_t end = off + len;
	while (len) {
		ssize_t n = pwrite(q->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(q, -errno, "write at offset %llu: %s", (unsigned long long)off,
				    strerror(errno));
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	if (end > q->file_size)
		q->file_size = end;
	return 0;
}

/* A metadata or data cluster offset taken from the file: must be aligned and
 * lie inside the file. */
static int check_cluster(struct qcow2 *q, uint64_t off, const char *what)
{
	if (off & (q->cluster_size - 1))
		return fail(q, -EIO, "corrupt image: %s offset 0x%llx is not cluster aligned", what,
			    (unsigned long long)off);
	if (off < q->cluster_size || off > q->file_size ||
	    q->file_size - off < q->cluster_size)
		return fail(q, -EIO, "corrupt image: %s offset 0x%llx is outside the file", what,
			    (unsigned long long)off);
	return 0;
}

/* ---- table cache (L2 tables, refcount blocks) ---------------------------- */

static uint8_t *cache_get(struct qcow2 *q, struct table_cache *c, uint64_t off, bool fresh)
{
	int victim = 0;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (c->data[i] && c->offset[i] == off) {
			c->used[i] = ++c->tick;
			return c->data[i];
		}
		if (!c->data[i] || c->used[i] < c->used[victim])
			victim = i;
		if (!c->data[victim])
			break;
	}
	if (!c->data[victim]) {
		c->data[victim] = malloc(q->cluster_size);
		if (!c->data[victim])
			return NULL;
	}
	if (fresh) {
		memset(c->data[victim], 0, q->cluster_size);
	} else if (pread_full(q->fd, c->data[victim], q->cluster_size, off)) {
		c->offset[victim] = 0;
		c->used[victim] = 0;
		fail(q, -EIO, "cannot read table at 0x%llx", (unsigned long long)off);
		return NULL;
	}
	c->offset[victim] = off;
	c->used[victim] = ++c->tick;
	return c->data[victim];
}

static void cache_free(struct table_cache *c)
{
	for (int i = 0; i < CACHE_SLOTS; i++)
		free(c->data[i]);
}

/* ---- refcounts ------------------------------------------------------------ */

static uint64_t rc_get_entry(const struct qcow2 *q, const uint8_t *blk, uint64_t i)
{
	switch (q->refcount_order) {
	case 0: return (blk[i / 8] >> (i % 8)) & 1;
	case 1: return (blk[i / 4] >> (2 * (i % 4))) & 3;
	case 2: return (blk[i / 2] >> (4 * (i % 2))) & 15;
	case 3: return blk[i];
	case 4: return (uint64_t)blk[2 * i] << 8 | blk[2 * i + 1];
	case 5: return be32(blk + 4 * i);
	default: return be64(blk + 8 * i);
	}
}

/* Sets entry i; returns the byte range touched via at and len for write-back. */
static void rc_set_entry(const struct qcow2 *q, uint8_t *blk, uint64_t i, uint64_t v,
			 size_t *at, size_t *len)
{
	switch (q->refcount_order) {
	case 0: blk[i / 8] = (uint8_t)((blk[i / 8] & ~(1 << (i % 8))) | (v << (i % 8)));
		*at = i / 8; *len = 1; break;
	case 1: blk[i / 4] = (uint8_t)((blk[i / 4] & ~(3 << (2 * (i % 4)))) | (v << (2 * (i % 4))));
		*at = i / 4; *len = 1; break;
	case 2: blk[i / 2] = (uint8_t)((blk[i / 2] & ~(15 << (4 * (i % 2)))) | (v << (4 * (i % 2))));
		*at = i / 2; *len = 1; break;
	case 3: blk[i] = (uint8_t)v; *at = i; *len = 1; break;
	case 4: blk[2 * i] = (uint8_t)(v >> 8); blk[2 * i + 1] = (uint8_t)v;
		*at = 2 * i; *len = 2; break;
	case 5: put_be32(blk + 4 * i, (uint32_t)v); *at = 4 * i; *len = 4; break;
	default: put_be64(blk + 8 * i, v); *at = 8 * i; *len = 8; break;
	}
}

static uint64_t rc_max(const struct qcow2 *q)
{
	return q->refcount_order == 6 ? ~0ULL : (1ULL << (1u << q->refcount_order)) - 1;
}

static int grow_refcount_table(struct qcow2 *q, uint64_t need_entries);

static int write_rt_entry(struct qcow2 *q, uint64_t idx)
{
	if (q->rt_growing)
		return 0;
	uint8_t b[8];
	put_be64(b, q->rt[idx]);
	return pwrite_full(q, b, 8, q->rt_offset + idx * 8);
}

static uint64_t alloc_raw(struct qcow2 *q)
{
	uint64_t off = q->file_end;
	q->file_end += q->cluster_size;
	return off;
}

/* Adds delta to the refcount of the cluster at host offset `off`. */
static int update_refcount(struct qcow2 *q, uint64_t off, int64_t delta)
{
	uint64_t cl = off >> q->cluster_bits;
	uint64_t idx = cl / q->rb_entries, in = cl % q->rb_entries;
	if (idx >= q->rt_entries) {
		int rc = grow_refcount_table(q, idx + 1);
		if (rc)
			return rc;
	}
	uint64_t rb = q->rt[idx] & RT_OFFSET_MASK;
	if (!rb) {
		/* New refcount block: written zeroed first, then counted, then
		 * published in the table. */
		rb = alloc_raw(q);
		uint8_t *blk = cache_get(q, &q->rbc, rb, true);
		if (!blk)
			return fail(q, -ENOMEM, "out of memory");
		int rc = pwrite_full(q, blk, q->cluster_size, rb);
		if (rc)
			return rc;
		q->rt[idx] = rb;
		uint64_t self = rb >> q->cluster_bits;
		if (self / q->rb_entries == idx) {
			size_t at, len;
			rc_set_entry(q, blk, self % q->rb_entries, 1, &at, &len);
			rc = pwrite_full(q, blk + at, len, rb + at);
		} else {
			rc = update_refcount(q, rb, 1);
		}
		if (rc)
			return rc;
		rc = write_rt_entry(q, idx);
		if (rc)
			return rc;
	} else if (check_cluster(q, rb, "refcount block")) {
		return -EIO;
	}
	uint8_t *blk = cache_get(q, &q->rbc, rb, false);
	if (!blk)
		return -EIO;
	uint64_t v = rc_get_entry(q, blk, in);
	if ((delta < 0 && v < (uint64_t)-delta) || (delta > 0 && rc_max(q) - v < (uint64_t)delta))
		return fail(q, -EIO, "corrupt image: refcount of cluster 0x%llx would go from %llu "
				     "out of range", (unsigned long long)off, (unsigned long long)v);
	size_t at, len;
	rc_set_entry(q, blk, in, v + (uint64_t)delta, &at, &len);
	return pwrite_full(q, blk + at, len, rb + at);
}

/* Allocates one cluster with refcount 1. */
static int alloc_cluster(struct qcow2 *q, uint64_t *out)
{
	uint64_t off = alloc_raw(q);
	int rc = update_refcount(q, off, 1);
	if (rc)
		return rc;
	*out = off;
	return 0;
}

static int grow_refcount_table(struct qcow2 *q, uint64_t need_entries)
{
	if (q->rt_growing)
		return fail(q, -EIO, "refcount table growth recursed");
	uint64_t per_cluster = q->cluster_size / 8;
	/* Room for what is needed now, twice over, plus the clusters the new
	 * table and its refcount blocks take themselves. */
	uint64_t entries = need_entries * 2 + 8;
	if (entries < q->rt_entries * 2)
		entries = q->rt_entries * 2;
	uint64_t clusters = (entries + per_cluster - 1) / per_cluster;
	if (clusters * q->cluster_size > MAX_RT_BYTES)
		return fail(q, -ENOSPC, "refcount table would exceed %llu MiB",
			    (unsigned long long)(MAX_RT_BYTES >> 20));
	entries = clusters * per_cluster;
	uint64_t *nrt = calloc(entries, sizeof(uint64_t));
	if (!nrt)
		return fail(q, -ENOMEM, "out of memory");
	memcpy(nrt, q->rt, q->rt_entries * sizeof(uint64_t));
	uint64_t *old_rt = q->rt, old_off = q->rt_offset, old_entries = q->rt_entries;
	uint32_t old_clusters = q->rt_clusters;
	q->rt = nrt;
	q->rt_entries = entries;
	q->rt_growing = true;
	uint64_t noff = q->file_end;
	q->file_end += clusters * q->cluster_size;
	int rc = 0;
	for (uint64_t i = 0; i < clusters && !rc; i++)
		rc = update_refcount(q, noff + i * q->cluster_size, 1);
	q->rt_growing = false;
	if (rc)
		goto undo;
	uint8_t *buf = calloc(clusters, q->cluster_size);
	if (!buf) {
		rc = fail(q, -ENOMEM, "out of memory");
		goto undo;
	}
	for (uint64_t i = 0; i < entries; i++)
		put_be64(buf + 8 * i, nrt[i]);
	rc = pwrite_full(q, buf, clusters * q->cluster_size, noff);
	free(buf);
	if (rc)
		goto undo;
	if ((rc = fdatasync(q->fd) ? -errno : 0))
		goto undo;
	uint8_t hdr[12];
	put_be64(hdr, noff);
	put_be32(hdr + 8, (uint32_t)clusters);
	rc = pwrite_full(q, hdr, 12, 48);
	if (rc)
		goto undo;
	q->rt_offset = noff;
	q->rt_clusters = (uint32_t)clusters;
	free(old_rt);
	/* The old table's clusters are free now. */
	for (uint32_t i = 0; i < old_clusters && !rc; i++)
		rc = update_refcount(q, old_off + (uint64_t)i * q->cluster_size, -1);
	return rc;
undo:
	free(nrt);
	q->rt = old_rt;
	q->rt_entries = old_entries;
	return rc;
}

/* ---- mapping ---------------------------------------------------------------- */

static int l2_table(struct qcow2 *q, uint64_t l1_idx, uint8_t **out)
{
	*out = NULL;
	if (l1_idx >= q->l1_size)
		return 0;
	uint64_t off = q->l1[l1_idx] & L1E_OFFSET_MASK;
	if (!off)
		return 0;
	if (check_cluster(q, off, "L2 table"))
		return -EIO;
	*out = cache_get(q, &q->l2c, off, false);
	return *out ? 0 : -EIO;
}

static int read_backing(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len)
{
	if (q->backing)
		return qcow2_read(q->backing, off, buf, len) ? fail(q, -EIO, "backing file: %s",
								  q->backing->err) : 0;
	memset(buf, 0, len);
	if (q->backing_fd < 0 || off >= q->backing_size)
		return 0;
	size_t n = q->backing_size - off < len ? (size_t)(q->backing_size - off) : len;
	if (pread_full(q->backing_fd, buf, n, off))
		return fail(q, -EIO, "cannot read the backing file");
	return 0;
}

static int read_compressed(struct qcow2 *q, uint64_t entry, uint8_t *out)
{
	unsigned x = 62 - (q->cluster_bits - 8);
	uint64_t host = entry & ((1ULL << x) - 1);
	uint64_t nsec = (entry >> x) & ((1ULL << (62 - x)) - 1);
	uint64_t csize = (nsec + 1) * 512 - (host & 511);
	if (csize > 2 * q->cluster_size || host >= q->file_size)
		return fail(q, -EIO, "corrupt image: compressed cluster at 0x%llx is out of range",
			    (unsigned long long)host);
	if (csize > q->file_size - host)
		csize = q->file_size - host;   /* the last one may end with the file */
	if (pread_full(q->fd, q->zbuf, csize, host))
		return fail(q, -EIO, "cannot read compressed cluster at 0x%llx",
			    (unsigned long long)host);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -12) != Z_OK)
		return fail(q, -ENOMEM, "zlib init failed");
	zs.next_in = q->zbuf;
	zs.avail_in = (uInt)csize;
	zs.next_out = out;
	zs.avail_out = (uInt)q->cluster_size;
	int zr = inflate(&zs, Z_FINISH);
	uint64_t got = q->cluster_size - zs.avail_out;
	inflateEnd(&zs);
	if ((zr != Z_STREAM_END && zr != Z_BUF_ERROR && zr != Z_OK) || got != q->cluster_size)
		return fail(q, -EIO, "corrupt image: compressed cluster at 0x%llx does not inflate "
				     "to a full cluster", (unsigned long long)host);
	return 0;
}

/* Reads [off, off+len) within one cluster. */
static int read_in_cluster(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t l1_idx = off >> (q->cluster_bits + q->l2_bits);
	uint64_t l2_idx = (off >> q->cluster_bits) & (q->l2_entries - 1);
	uint64_t in = off & (q->cluster_size - 1);
	uint8_t *l2;
	int rc = l2_table(q, l1_idx, &l2);
	if (rc)
		return rc;
	uint64_t e = l2 ? be64(l2 + 8 * l2_idx) : 0;
	if (e & QCOW_OFLAG_COMPRESSED) {
		rc = read_compressed(q, e, q->cluster_buf);
		if (!rc)
			memcpy(buf, q->cluster_buf + in, len);
		return rc;
	}
	uint64_t host = e & L2E_OFFSET_MASK;
	if (q->version >= 3 && (e & QCOW_OFLAG_ZERO)) {
		memset(buf, 0, len);
		return 0;
	}
	if (!host)
		return read_backing(q, off, buf, len);
	if (check_cluster(q, host, "data cluster"))
		return -EIO;
	if (pread_full(q->fd, buf, len, host + in))
		return fail(q, -EIO, "cannot read data at 0x%llx", (unsigned long long)(host + in));
	return 0;
}

int qcow2_read(struct qcow2 *q, uint64_t offset, void *buf, size_t len)
{
	if (offset > q->size || len > q->size - offset)
		return fail(q, -EINVAL, "read of %zu bytes at %llu is beyond the disk size", len,
			    (unsigned long long)offset);
	uint8_t *p = buf;
	while (len) {
		uint64_t in = offset & (q->cluster_size - 1);
		size_t n = q->cluster_size - in < len ? (size_t)(q->cluster_size - in) : len;
		int rc = read_in_cluster(q, offset, p, n);
		if (rc)
			return rc;
		p += n;
		offset += n;
		len -= n;
	}
	return 0;
}

static int write_l1_entry(struct qcow2 *q, uint64_t idx)
{
	uint8_t b[8];
	put_be64(b, q->l1[idx]);
	return pwrite_full(q, b, 8, q->l1_offset + idx * 8);
}

/* Frees what an L2 entry referenced (after it has been replaced). */
static int release_entry(struct qcow2 *q, uint64_t e)
{
	if (e & QCOW_OFLAG_COMPRESSED) {
		unsigned x = 62 - (q->cluster_bits - 8);
		uint64_t host = e & ((1ULL << x) - 1);
		uint64_t nsec = (e >> x) & ((1ULL << (62 - x)) - 1);
		uint64_t last = (host & ~511ULL) + nsec * 512;
		for (uint64_t c = host & ~(q->cluster_size - 1); c <= last; c += q->cluster_size) {
			int rc = update_refcount(q, c, -1);
			if (rc)
				return rc;
		}
		return 0;
	}
	uint64_t host = e & L2E_OFFSET_MASK;
	return host ? update_refcount(q, host, -1) : 0;
}

/* Makes sure L1 entry idx points at an L2 table owned by this image alone. */
static int writable_l2(struct qcow2 *q, uint64_t l1_idx, uint8_t **out)
{
	uint64_t l1e = q->l1[l1_idx];
	uint64_t old = l1e & L1E_OFFSET_MASK;
	if (old && (l1e & QCOW_OFLAG_COPIED))
		return l2_table(q, l1_idx, out);
	uint8_t *src = NULL;
	if (old) {
		int rc = l2_table(q, l1_idx, &src);
		if (rc)
			return rc;
		memcpy(q->cluster_buf, src, q->cluster_size);
	} else {
		memset(q->cluster_buf, 0, q->cluster_size);
	}
	uint64_t noff;
	int rc = alloc_cluster(q, &noff);
	if (rc)
		return rc;
	uint8_t *l2 = cache_get(q, &q->l2c, noff, true);
	if (!l2)
		return fail(q, -ENOMEM, "out of memory");
	memcpy(l2, q->cluster_buf, q->cluster_size);
	if ((rc = pwrite_full(q, l2, q->cluster_size, noff)))
		return rc;
	q->l1[l1_idx] = noff | QCOW_OFLAG_COPIED;
	if ((rc = write_l1_entry(q, l1_idx)))
		return rc;
	if (old && (rc = update_refcount(q, old, -1)))
		return rc;
	*out = l2;
	return 0;
}

static int write_in_cluster(struct qcow2 *q, uint64_t off, const uint8_t *buf, size_t len)
{
	uint64_t l1_idx = off >> (q->cluster_bits + q->l2_bits);
	uint64_t l2_idx = (off >> q->cluster_bits) & (q->l2_entries - 1);
	uint64_t in = off & (q->cluster_size - 1);
	if (l1_idx >= q->l1_size)
		return fail(q, -EIO, "corrupt image: L1 table too small for offset %llu",
			    (unsigned long long)off);
	uint8_t *l2;
	int rc = writable_l2(q, l1_idx, &l2);
	if (rc)
		return rc;
	uint64_t l2_off = q->l1[l1_idx] & L1E_OFFSET_MASK;
	uint64_t e = be64(l2 + 8 * l2_idx);
	uint64_t host = e & L2E_OFFSET_MASK;
	bool zero = q->version >= 3 && (e & QCOW_OFLAG_ZERO);
	if (!(e & QCOW_OFLAG_COMPRESSED) && host && (e & QCOW_OFLAG_COPIED) && !zero) {
		if (check_cluster(q, host, "data cluster"))
			return -EIO;
		return pwrite_full(q, buf, len, host + in);
	}
	/* Copy on write: build the whole new cluster, then map it. */
	uint8_t *data = malloc(q->cluster_size);
	if (!data)
		return fail(q, -ENOMEM, "out of memory");
	if (len < q->cluster_size) {
		rc = read_in_cluster(q, off - in, data, q->cluster_size);
		if (rc) {
			free(data);
			return rc;
		}
	}
	memcpy(data + in, buf, len);
	uint64_t noff;
	rc = alloc_cluster(q, &noff);
	if (!rc)
		rc = pwrite_full(q, data, q->cluster_size, noff);
	free(data);
	if (rc)
		return rc;
	/* The L2 table may have been evicted by refcount work: fetch again. */
	l2 = cache_get(q, &q->l2c, l2_off, false);
	if (!l2)
		return -EIO;
	put_be64(l2 + 8 * l2_idx, noff | QCOW_OFLAG_COPIED);
	if ((rc = pwrite_full(q, l2 + 8 * l2_idx, 8, l2_off + 8 * l2_idx)))
		return rc;
	if (!zero || host)
		return release_entry(q, e);
	return 0;
}

int qcow2_write(struct qcow2 *q, uint64_t offset, const void *buf, size_t len)
{
	if (q->readonly)
		return fail(q, -EROFS, "image is open read-only");
	if (offset > q->size || len > q->size - offset)
		return fail(q, -EINVAL, "write of %zu bytes at %llu is beyond the disk size", len,
			    (unsigned long long)offset);
	const uint8_t *p = buf;
	while (len) {
		uint64_t in = offset & (q->cluster_size - 1);
		size_t n = q->cluster_size - in < len ? (size_t)(q->cluster_size - in) : len;
		int rc = write_in_cluster(q, offset, p, n);
		if (rc)
			return rc;
		p += n;
		offset += n;
		len -= n;
	}
	return 0;
}

int qcow2_flush(struct qcow2 *q)
{
	if (q->readonly)
		return 0;
	return fdatasync(q->fd) ? fail(q, -errno, "flush: %s", strerror(errno)) : 0;
}

/* ---- open / close ------------------------------------------------------------ */

static struct qcow2 *qcow2_open_depth(const char *path, bool readonly, char *err,
				      size_t err_len, int depth);

static int open_backing(struct qcow2 *q, const char *name, const char *fmt, int depth,
			char *err, size_t err_len)
{
	char full[PATH_MAX];
	if (name[0] == '/') {
		snprintf(full, sizeof(full), "%s", name);
	} else {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", q->path);
		snprintf(full, sizeof(full), "%s/%s", dirname(dir), name);
	}
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_len, "%s: backing file '%s': %s", q->path, full, strerror(errno));
		return -ENOENT;
	}
	uint8_t head[4] = { 0 };
	ssize_t n = pread(fd, head, 4, 0);
	bool is_qcow2 = n == 4 && qcow2_probe(head, 4);
	if (fmt && !strcmp(fmt, "raw"))
		is_qcow2 = false;
	if (is_qcow2) {
		close(fd);
		if (depth + 1 >= MAX_BACKING_DEPTH) {
			snprintf(err, err_len, "%s: backing chain deeper than %d (a loop?)", q->path,
				 MAX_BACKING_DEPTH);
			return -ELOOP;
		}
		q->backing = qcow2_open_depth(full, true, err, err_len, depth + 1);
		return q->backing ? 0 : -EINVAL;
	}
	struct stat st;
	fstat(fd, &st);
	q->backing_fd = fd;
	q->backing_size = (uint64_t)st.st_size;
	return 0;
}

static struct qcow2 *qcow2_open_depth(const char *path, bool readonly, char *err, size_t err_len,
			       int depth)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	q->backing_fd = -1;
	q->readonly = readonly;
	snprintf(q->path, sizeof(q->path), "%s", path);
	q->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (q->fd < 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		free(q);
		return NULL;
	}
	struct stat st;
	fstat(q->fd, &st);
	q->file_size = (uint64_t)st.st_size;
	uint8_t h[512];
	memset(h, 0, sizeof(h));
#define BAD(...) do { snprintf(err, err_len, __VA_ARGS__); goto fail; } while (0)
	if (q->file_size < 72 || pread_full(q->fd, h, q->file_size < 512 ? q->file_size : 512, 0))
		BAD("%s: too short to be a qcow2 image", path);
	if (be32(h) != QCOW2_MAGIC)
		BAD("%s: not a qcow2 image (bad magic)", path);
	q->version = be32(h + 4);
	if (q->version != 2 && q->version != 3)
		BAD("%s: qcow2 version %u is not supported (2 and 3 are)", path, q->version);
	uint64_t backing_off = be64(h + 8);
	uint32_t backing_len = be32(h + 16);
	q->cluster_bits = be32(h + 20);
	q->size = be64(h + 24);
	uint32_t crypt = be32(h + 32);
	q->l1_size = be32(h + 36);
	q->l1_offset = be64(h + 40);
	q->rt_offset = be64(h + 48);
	q->rt_clusters = be32(h + 56);
	uint32_t header_len = 72;
	q->refcount_order = 4;
	uint64_t incompat = 0, autoclear = 0;
	if (q->version == 3) {
		incompat = be64(h + 72);
		autoclear = be64(h + 88);
		q->refcount_order = be32(h + 96);
		header_len = be32(h + 100);
		if (header_len < 104 || header_len > 512 || header_len % 8)
			BAD("%s: corrupt header length %u", path, header_len);
		if (header_len > 104 && h[104] != 0)
			BAD("%s: compression type %u is not supported (zlib only)", path, h[104]);
	}
	if (q->cluster_bits < 9 || q->cluster_bits > 21)
		BAD("%s: cluster size 2^%u is out of range (512 B .. 2 MiB)", path, q->cluster_bits);
	q->cluster_size = 1ULL << q->cluster_bits;
	if (crypt)
		BAD("%s: encrypted images are not supported", path);
	if (incompat & ~INCOMPAT_KNOWN)
		BAD("%s: image uses incompatible features 0x%llx that Nyx does not support", path,
		    (unsigned long long)(incompat & ~INCOMPAT_KNOWN));
	if ((incompat & INCOMPAT_CORRUPT) && !readonly)
		BAD("%s: image is marked corrupt; repair it with 'qemu-img check -r all'", path);
	if ((incompat & INCOMPAT_DIRTY) && !readonly)
		BAD("%s: image was not closed cleanly (lazy refcounts); run 'qemu-img check -r all'",
		    path);
	if (q->refcount_order > 6)
		BAD("%s: refcount order %u is out of range", path, q->refcount_order);
	if (q->size > (1ULL << 56))
		BAD("%s: virtual size %llu is too large", path, (unsigned long long)q->size);
	q->l2_bits = q->cluster_bits - 3;
	q->l2_entries = 1ULL << q->l2_bits;
	q->rb_entries = (q->cluster_size * 8) >> q->refcount_order;
	uint64_t span = q->cluster_size * q->l2_entries;
	uint64_t need_l1 = (q->size + span - 1) / span;
	if (q->l1_size < need_l1)
		BAD("%s: corrupt image: L1 table has %u entries, the disk size needs %llu", path,
		    q->l1_size, (unsigned long long)need_l1);
	if ((uint64_t)q->l1_size * 8 > MAX_L1_BYTES)
		BAD("%s: L1 table of %u entries is too large", path, q->l1_size);
	if (q->l1_size && (q->l1_offset % q->cluster_size || q->l1_offset > q->file_size ||
			   q->file_size - q->l1_offset < (uint64_t)q->l1_size * 8))
		BAD("%s: corrupt image: L1 table offset 0x%llx is invalid", path,
		    (unsigned long long)q->l1_offset);
	if (!q->rt_clusters || (uint64_t)q->rt_clusters * q->cluster_size > MAX_RT_BYTES ||
	    q->rt_offset % q->cluster_size || q->rt_offset > q->file_size ||
	    q->file_size - q->rt_offset < (uint64_t)q->rt_clusters * q->cluster_size)
		BAD("%s: corrupt image: refcount table (offset 0x%llx, %u clusters) is invalid", path,
		    (unsigned long long)q->rt_offset, q->rt_clusters);

	q->l1 = calloc(q->l1_size ? q->l1_size : 1, sizeof(uint64_t));
	q->rt_entries = (uint64_t)q->rt_clusters * q->cluster_size / 8;
	q->rt = calloc(q->rt_entries, sizeof(uint64_t));
	q->cluster_buf = malloc(q->cluster_size);
	q->zbuf = malloc(2 * q->cluster_size);
	uint8_t *tmp = malloc((uint64_t)q->rt_clusters * q->cluster_size + (uint64_t)q->l1_size * 8);
	if (!q->l1 || !q->rt || !q->cluster_buf || !q->zbuf || !tmp) {
		free(tmp);
		BAD("out of memory opening %s", path);
	}
	if (pread_full(q->fd, tmp, (uint64_t)q->l1_size * 8, q->l1_offset)) {
		free(tmp);
		BAD("%s: cannot read the L1 table", path);
	}
	for (uint32_t i = 0; i < q->l1_size; i++)
		q->l1[i] = be64(tmp + 8 * i);
	if (pread_full(q->fd, tmp, q->rt_entries * 8, q->rt_offset)) {
		free(tmp);
		BAD("%s: cannot read the refcount table", path);
	}
	for (uint64_t i = 0; i < q->rt_entries; i++)
		q->rt[i] = be64(tmp + 8 * i);
	free(tmp);
	q->file_end = (q->file_size + q->cluster_size - 1) & ~(q->cluster_size - 1);

	/* Header extensions (v3: after header_len; v2: after 72 bytes). */
	char backing_fmt[16] = "";
	uint64_t pos = header_len;
	uint8_t *c0 = malloc(q->cluster_size);
	if (!c0)
		BAD("out of memory");
	size_t c0len = q->file_size < q->cluster_size ? (size_t)q->file_size : q->cluster_size;
	memset(c0, 0, q->cluster_size);
	if (pread_full(q->fd, c0, c0len, 0)) {
		free(c0);
		BAD("%s: cannot read the header cluster", path);
	}
	while (pos + 8 <= q->cluster_size) {
		uint32_t type = be32(c0 + pos), len = be32(c0 + pos + 4);
		if (type == EXT_END)
			break;
		if (len > q->cluster_size - pos - 8) {
			free(c0);
			BAD("%s: corrupt header extension 0x%x (length %u)", path, type, len);
		}
		if (type == EXT_BACKING_FORMAT) {
			size_t n = len < sizeof(backing_fmt) - 1 ? len : sizeof(backing_fmt) - 1;
			memcpy(backing_fmt, c0 + pos + 8, n);
			backing_fmt[n] = 0;
		}
		pos += 8 + ((len + 7) & ~7u);
	}
	free(c0);
	if (backing_off) {
		if (backing_len == 0 || backing_len > 1023 || backing_off > q->file_size ||
		    q->file_size - backing_off < backing_len)
			BAD("%s: corrupt backing file name (offset 0x%llx, length %u)", path,
			    (unsigned long long)backing_off, backing_len);
		char name[1024];
		if (pread_full(q->fd, name, backing_len, backing_off))
			BAD("%s: cannot read the backing file name", path);
		name[backing_len] = 0;
		if (backing_fmt[0] && strcmp(backing_fmt, "raw") && strcmp(backing_fmt, "qcow2"))
			BAD("%s: backing format '%s' is not supported", path, backing_fmt);
		if (open_backing(q, name, backing_fmt[0] ? backing_fmt : NULL, depth, err, err_len))
			goto fail;
	}
	if (!readonly && autoclear) {
		/* Autoclear features we do not maintain must be cleared on write. */
		uint8_t zero[8] = { 0 };
		if (pwrite_full(q, zero, 8, 88))
			BAD("%s: cannot update the header: %s", path, q->err);
	}
#undef BAD
	return q;
fail:
	qcow2_close(q);
	return NULL;
}

struct qcow2 *qcow2_open(const char *path, bool readonly, char *err, size_t err_len)
{
	return qcow2_open_depth(path, readonly, err, err_len, 0);
}

void qcow2_close(struct qcow2 *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	if (q->backing)
		qcow2_close(q->backing);
	if (q->backing_fd >= 0)
		close(q->backing_fd);
	cache_free(&q->l2c);
	cache_free(&q->rbc);
	free(q->l1);
	free(q->rt);
	free(q->cluster_buf);
	free(q->zbuf);
	free(q);
}
