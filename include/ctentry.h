/*
 * The compact, fixed-layout conntrack and expectation records that travel
 * between kernel, sync, monitor and ctsyncctl, and that the caches store.
 * Fixed layout on purpose: the privileged side validates a struct with
 * ct_entry_check()/exp_entry_check() instead of parsing attacker-chosen
 * TLVs.  Addresses and ports are kept in network byte order, exactly as
 * libnetfilter_conntrack hands them out.
 */
#ifndef CTSYNCD_CTENTRY_H
#define CTSYNCD_CTENTRY_H

#include <stddef.h>
#include <stdint.h>

#define CT_HELPER_MAX		16	/* incl. NUL, as on the wire */
#define CT_EXPFN_MAX		32	/* incl. NUL */
#define CT_LABEL_WORDS		4	/* 128 connlabel bits, as the kernel */

/*
 * One direction of a connection.  l3 is AF_INET or AF_INET6 (IPv4 lives
 * in src[0]/dst[0], the rest is zero).  For ICMP/ICMPv6, sport carries
 * the echo id (network order), dport is zero and type/code are set; for
 * every other protocol type/code are zero.
 */
struct ct_tuple {
	uint32_t	src[4];
	uint32_t	dst[4];
	uint16_t	sport;
	uint16_t	dport;
	uint8_t		l3;
	uint8_t		l4;
	uint8_t		icmp_type;
	uint8_t		icmp_code;
};

/* ct_entry.flags: which optional parts are present */
#define CTE_F_REPL		0x0001	/* repl tuple (kernel side only) */
#define CTE_F_MASTER		0x0002	/* related: master tuple set */
#define CTE_F_TIMEOUT		0x0004
#define CTE_F_MARK		0x0008
#define CTE_F_STATE		0x0010	/* TCP/SCTP/DCCP state known */
#define CTE_F_WSCALE		0x0020	/* TCP window scales */
#define CTE_F_SCTP_VTAG		0x0040
#define CTE_F_DCCP_ROLE		0x0080
#define CTE_F_SEQADJ		0x0100
#define CTE_F_SYNPROXY		0x0200
#define CTE_F_LABELS		0x0400
#define CTE_F_HELPER		0x0800
#define CTE_F_ZONE		0x1000
#define CTE_F_SECMARK		0x2000
#define CTE_F_ALL		0x3fff

struct ct_entry {
	struct ct_tuple	orig;		/* the key, with zone */
	struct ct_tuple	repl;		/* CTE_F_REPL */
	struct ct_tuple	master;		/* CTE_F_MASTER (orig of master) */
	uint32_t	flags;		/* CTE_F_* */
	uint32_t	status;		/* IPS_* bits */
	uint32_t	timeout;	/* seconds */
	uint32_t	mark;
	uint32_t	secmark;
	uint16_t	zone;
	uint8_t		state;		/* TCP/SCTP/DCCP state number */
	uint8_t		dccp_role;
	uint8_t		wscale_orig;
	uint8_t		wscale_repl;
	uint8_t		pad0[2];
	uint32_t	sctp_vtag_orig;
	uint32_t	sctp_vtag_repl;
	uint32_t	seqadj[6];	/* orig pos, before, after; repl ... */
	uint32_t	synproxy[3];	/* isn, its, tsoff */
	uint32_t	labels[CT_LABEL_WORDS];
	char		helper[CT_HELPER_MAX];
};

/* exp_entry.flags */
#define EXE_F_NAT		0x01	/* nat tuple + nat_dir set */
#define EXE_F_CLASS		0x02
#define EXE_F_HELPER		0x04
#define EXE_F_FN		0x08
#define EXE_F_ZONE		0x10
#define EXE_F_TIMEOUT		0x20
#define EXE_F_ALL		0x3f

struct exp_entry {
	struct ct_tuple	master;		/* orig tuple of the master */
	struct ct_tuple	tuple;		/* the expected connection: the key */
	struct ct_tuple	mask;
	struct ct_tuple	nat;		/* EXE_F_NAT */
	uint32_t	flags;		/* EXE_F_* */
	uint32_t	timeout;
	uint32_t	expflags;	/* NF_CT_EXPECT_PERMANENT/INACTIVE/USERSPACE */
	uint32_t	class;
	uint32_t	nat_dir;
	uint16_t	zone;
	uint8_t		pad0[2];
	char		helper[CT_HELPER_MAX];
	char		fn[CT_EXPFN_MAX];
};

/* event/record kinds carried in ct_item.kind / exp_item.kind */
enum ct_kind {
	CT_KIND_NEW = 1,
	CT_KIND_UPDATE,
	CT_KIND_DESTROY,
	CT_KIND_DUMP,		/* part of a table dump */
};

/* ct_item.origin: who caused a kernel event */
enum ct_origin {
	CT_ORIGIN_EXTERNAL = 0,	/* traffic or another program: replicate */
	CT_ORIGIN_SELF,		/* our own commit/flush/inject socket */
};

struct ct_item {
	uint8_t		kind;		/* enum ct_kind */
	uint8_t		origin;		/* enum ct_origin */
	uint8_t		pad0[6];
	struct ct_entry	ct;
};

struct exp_item {
	uint8_t		kind;
	uint8_t		origin;
	uint8_t		pad0[6];
	struct exp_entry exp;
};

/*
 * A batch: this header, then exactly count items of one kind of record.
 * The receiver checks len == sizeof(hdr) + count * sizeof(item).
 */
struct ct_batch_hdr {
	uint32_t	count;
	uint32_t	seq;		/* request id (dump, commit) or 0 */
};

/* one record of a dump sent to ctsyncctl */
struct ct_dump_item {
	int64_t		age;		/* seconds since first seen */
	int64_t		expires;	/* ALARM: seconds left, else -1 */
	struct ct_entry	ct;
};

struct exp_dump_item {
	int64_t		age;
	int64_t		expires;
	struct exp_entry exp;
};

/* ctentry.c */
const char	*ct_entry_check(const struct ct_entry *);
const char	*exp_entry_check(const struct exp_entry *);
const char	*ct_tuple_check(const struct ct_tuple *);
int		 ct_tuple_cmp(const struct ct_tuple *, const struct ct_tuple *);
int		 ct_key_cmp(const struct ct_entry *, const struct ct_entry *);
int		 exp_key_cmp(const struct exp_entry *, const struct exp_entry *);
uint64_t	 ct_key_hash(const struct ct_entry *, uint64_t);
uint64_t	 ct_tuple_key_hash(const struct ct_tuple *, uint16_t, uint64_t);
uint64_t	 exp_key_hash(const struct exp_entry *, uint64_t);
int		 ct_proto_has_ports(uint8_t);
int		 ct_is_zero(const void *, size_t);
int		 ct_proto_is_icmp(uint8_t, uint8_t);
/*
 * Status bits ct_entry_check() accepts: IPS_EXPECTED (bit 0) through
 * IPS_HW_OFFLOAD (bit 15), all the kernel defines (__IPS_MAX_BIT 16).
 */
#define CT_STATUS_KNOWN		0xffffU
/* sport/dport carry something: ports, or GRE keys */
int		 ct_proto_uses_port_fields(uint8_t);
/* the kernel's reply type for an ICMP/ICMPv6 type (l3, type), or -1 */
int		 ct_icmp_reply_type(uint8_t, uint8_t);
/* reply tuple without NAT; ICMP reply fields from the original */
void		 ct_tuple_invert(struct ct_tuple *, const struct ct_tuple *);
void		 ct_icmp_mirror(struct ct_tuple *, const struct ct_tuple *);

/*
 * ctnfct.c (needs libnetfilter_conntrack).  ct_entry.labels bit n is
 * connlabel n: labels[n / 32] & (1U << (n % 32)).  The ICMP fields of
 * the reply tuple are not visible through libnetfilter_conntrack: they
 * are derived from the original (ct_icmp_reply_type, same code and id).
 * from_*: 0, or -1 when the object cannot be a valid entry.  to_*: fill
 * a fresh nfct_new()/nfexp_new() object; -1 only when out of memory.
 * to_ct invents the reply tuple (the inverse of the original) when the
 * entry has none.  format_*: conntrack -L text (xml: one <flow>) without
 * the timeout, with snprintf semantics; -1 on failure.
 */
struct nf_conntrack;
struct nf_expect;

int		 ctnfct_from_ct(struct ct_entry *, const struct nf_conntrack *);
int		 ctnfct_to_ct(struct nf_conntrack *, const struct ct_entry *);
int		 ctnfct_from_exp(struct exp_entry *, const struct nf_expect *);
int		 ctnfct_to_exp(struct nf_expect *, const struct exp_entry *);
int		 ctnfct_format_ct(char *, size_t, const struct ct_entry *, int);
int		 ctnfct_format_exp(char *, size_t, const struct exp_entry *,
		    int);

#endif
