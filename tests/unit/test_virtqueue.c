/* Split virtqueue device side, driven with rings laid out by hand as the
 * virtio 1.1 spec (section 2.6) describes a driver doing it. */
#include <errno.h>
#include <stdlib.h>

#include "core/memory.h"
#include "harness.h"
#include "hw/virtio/virtqueue.h"

#define DESC 0x10000
#define AVAIL 0x11000
#define USED 0x12000
#define QSZ 8

static void put_desc(struct guest_mem *m, uint64_t table, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t d[16];
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	gpa_write(m, table + 16 * i, d, 16);
}

static void offer(struct guest_mem *m, uint16_t idx, uint16_t head)
{
	gpa_write(m, AVAIL + 4 + 2 * (idx % QSZ), &head, 2);
	uint16_t next = idx + 1;
	gpa_write(m, AVAIL + 2, &next, 2);
}

static struct virtq *setup(struct guest_mem *m)
{
	static struct virtq vq;
	mem_init(m, 4ULL << 20);
	virtq_init(&vq, m);
	vq.size = QSZ;
	vq.desc_gpa = DESC;
	vq.avail_gpa = AVAIL;
	vq.used_gpa = USED;
	return &vq;
}

TEST(virtq_chain_out_then_in_and_used_ring)
{
	struct guest_mem m;
	struct virtq *vq = setup(&m);
	REQUIRE(virtq_enable(vq) == 0);
	gpa_write(&m, 0x20000, "header16bytes..!", 16);
	gpa_write(&m, 0x21000, "payload", 7);
	put_desc(&m, DESC, 0, 0x20000, 16, VIRTQ_DESC_F_NEXT, 5);
	put_desc(&m, DESC, 5, 0x21000, 7, VIRTQ_DESC_F_NEXT, 2);
	put_desc(&m, DESC, 2, 0x22000, 512, VIRTQ_DESC_F_WRITE, 0);
	offer(&m, 0, 0);
	struct virtq_elem *e = malloc(sizeof(*e));
	CHECK_EQ(virtq_pop(vq, e), 1);
	CHECK_EQ(e->head, 0);
	CHECK_EQ(e->out_num, 2);
	CHECK_EQ(e->in_num, 1);
	CHECK_EQ(e->out_len, 23);
	CHECK_EQ(e->in_len, 512);
	char buf[32] = { 0 };
	CHECK_EQ(iov_to_buf(e->out, e->out_num, 14, buf, 9), 9);
	CHECK(!memcmp(buf, ".!payload", 9));
	CHECK_EQ(iov_from_buf(e->in, e->in_num, 0, "done", 4), 4);
	CHECK_EQ(virtq_pop(vq, e), 0);   /* nothing more */
	virtq_push(vq, e, 4);
	uint16_t uidx;
	uint32_t used[2];
	gpa_read(&m, USED + 2, &uidx, 2);
	gpa_read(&m, USED + 4, used, 8);
	CHECK_EQ(uidx, 1);
	CHECK_EQ(used[0], 0);
	CHECK_EQ(used[1], 4);
	gpa_read(&m, 0x22000, buf, 4);
	CHECK(!memcmp(buf, "done", 4));
	free(e);
	mem_destroy(&m);
}

TEST(virtq_indirect_table)
{
	struct guest_mem m;
	struct virtq *vq = setup(&m);
	REQUIRE(virtq_enable(vq) == 0);
	put_desc(&m, 0x30000, 0, 0x20000, 100, VIRTQ_DESC_F_NEXT, 1);
	put_desc(&m, 0x30000, 1, 0x21000, 200, VIRTQ_DESC_F_WRITE, 0);
	put_desc(&m, DESC, 3, 0x30000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(&m, 0, 3);
	struct virtq_elem *e = malloc(sizeof(*e));
	CHECK_EQ(virtq_pop(vq, e), 1);
	CHECK_EQ(e->head, 3);
	CHECK_EQ(e->out_len, 100);
	CHECK_EQ(e->in_len, 200);
	free(e);
	mem_destroy(&m);
}

TEST(virtq_hostile_chains_refused)
{
	struct guest_mem m;
	struct virtq_elem *e = malloc(sizeof(*e));
	struct {
		const char *what;
		void (*make)(struct guest_mem *);
	} cases[] = {
		{ "loop", NULL }, { "next out of range", NULL }, { "buffer outside RAM", NULL },
		{ "readable after writable", NULL }, { "nested indirect", NULL },
		{ "head out of range", NULL },
	};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct virtq *vq = setup(&m);
		REQUIRE(virtq_enable(vq) == 0);
		uint16_t head = 0;
		switch (c) {
		case 0:
			put_desc(&m, DESC, 0, 0x20000, 8, VIRTQ_DESC_F_NEXT, 1);
			put_desc(&m, DESC, 1, 0x20000, 8, VIRTQ_DESC_F_NEXT, 0);
			break;
		case 1:
			put_desc(&m, DESC, 0, 0x20000, 8, VIRTQ_DESC_F_NEXT, QSZ);
			break;
		case 2:
			put_desc(&m, DESC, 0, (4ULL << 20) - 4, 8, 0, 0);
			break;
		case 3:
			put_desc(&m, DESC, 0, 0x20000, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
			put_desc(&m, DESC, 1, 0x21000, 8, 0, 0);
			break;
		case 4:
			put_desc(&m, 0x30000, 0, 0x31000, 16, VIRTQ_DESC_F_INDIRECT, 0);
			put_desc(&m, DESC, 0, 0x30000, 16, VIRTQ_DESC_F_INDIRECT, 0);
			break;
		case 5:
			head = 200;
			break;
		}
		offer(&m, 0, head);
		int rc = virtq_pop(vq, e);
		if (rc != -EIO)
			fprintf(stderr, "  case '%s' gave %d\n", cases[c].what, rc);
		CHECK_EQ(rc, -EIO);
		mem_destroy(&m);
	}
	/* Rings outside RAM or misaligned are refused at enable time. */
	struct virtq *vq = setup(&m);
	vq->used_gpa = (4ULL << 20) - 8;
	CHECK_EQ(virtq_enable(vq), -EINVAL);
	vq->used_gpa = USED + 2;
	CHECK_EQ(virtq_enable(vq), -EINVAL);
	vq->used_gpa = USED;
	vq->size = 6;
	CHECK_EQ(virtq_enable(vq), -EINVAL);
	mem_destroy(&m);
	free(e);
}

TEST(virtq_event_idx_suppresses_interrupts)
{
	struct guest_mem m;
	struct virtq *vq = setup(&m);
	vq->event_idx = true;
	REQUIRE(virtq_enable(vq) == 0);
	struct virtq_elem *e = malloc(sizeof(*e));
	for (uint16_t i = 0; i < 3; i++) {
		put_desc(&m, DESC, i, 0x20000, 8, 0, 0);
		offer(&m, i, i);
	}
	/* Driver asks for an interrupt only once used->idx passes 2
	 * (used_event = 2, after the avail ring). */
	uint16_t ue = 2;
	gpa_write(&m, AVAIL + 4 + 2 * QSZ, &ue, 2);
	CHECK_EQ(virtq_pop(vq, e), 1);
	virtq_push(vq, e, 0);
	CHECK(virtq_should_notify(vq));       /* first one always notifies */
	CHECK_EQ(virtq_pop(vq, e), 1);
	virtq_push(vq, e, 0);                 /* used idx 2: not past event 2 */
	CHECK(!virtq_should_notify(vq));
	CHECK_EQ(virtq_pop(vq, e), 1);
	virtq_push(vq, e, 0);                 /* used idx 3: crossed 2 -> 3 */
	CHECK(virtq_should_notify(vq));
	/* avail_event tracks what we consumed. */
	uint16_t ae;
	gpa_read(&m, USED + 4 + 8 * QSZ, &ae, 2);
	CHECK_EQ(ae, 3);
	free(e);
	mem_destroy(&m);
}
