/*
 * Cache dumps as they stream in: conntrackd's text (the conntrack -L
 * line without the timeout, then "[active since Ns]"), its XML (one
 * <flow> per line, no prolog), or a JSON array.  Records come from the
 * daemon but are checked like any input before they are printed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "ctentry.h"
#include "ctsyncd.h"
#include "dump.h"
#include "json.h"

#define LINE_MAX_DUMP	2048

static int	json_started;

static void
json_tuple(const char *name, const struct ct_tuple *t)
{
	char	a[INET6_ADDRSTRLEN];

	json_object(name);
	json_string("family", t->l3 == AF_INET ? "ipv4" : "ipv6");
	json_uint("protonum", t->l4);
	inet_ntop(t->l3, t->src, a, sizeof(a));
	json_string("src", a);
	inet_ntop(t->l3, t->dst, a, sizeof(a));
	json_string("dst", a);
	if (ct_proto_is_icmp(t->l3, t->l4)) {
		json_uint("type", t->icmp_type);
		json_uint("code", t->icmp_code);
		json_uint("id", ntohs(t->sport));
	} else if (ct_proto_has_ports(t->l4)) {
		json_uint("sport", ntohs(t->sport));
		json_uint("dport", ntohs(t->dport));
	}
	json_close();
}

static void
json_ct(const struct ct_dump_item *it, const char *text)
{
	const struct ct_entry	*e = &it->ct;

	json_object(NULL);
	json_tuple("original", &e->orig);
	if (e->flags & CTE_F_REPL)
		json_tuple("reply", &e->repl);
	if (e->flags & CTE_F_MASTER)
		json_tuple("master", &e->master);
	json_uint("status", e->status);
	if (e->flags & CTE_F_STATE)
		json_uint("state", e->state);
	if (e->flags & CTE_F_TIMEOUT)
		json_uint("timeout", e->timeout);
	if (e->flags & CTE_F_MARK)
		json_uint("mark", e->mark);
	if (e->flags & CTE_F_ZONE)
		json_uint("zone", e->zone);
	if (e->flags & CTE_F_HELPER)
		json_string("helper", e->helper);
	json_int("active_since", it->age);
	if (it->expires >= 0)
		json_int("expires_in", it->expires);
	json_string("text", text);
	json_close();
}

static void
json_exp(const struct exp_dump_item *it, const char *text)
{
	const struct exp_entry	*e = &it->exp;

	json_object(NULL);
	json_tuple("master", &e->master);
	json_tuple("expected", &e->tuple);
	json_tuple("mask", &e->mask);
	if (e->flags & EXE_F_TIMEOUT)
		json_uint("timeout", e->timeout);
	json_uint("flags", e->expflags);
	if (e->flags & EXE_F_CLASS)
		json_uint("class", e->class);
	if (e->flags & EXE_F_ZONE)
		json_uint("zone", e->zone);
	if (e->flags & EXE_F_HELPER)
		json_string("helper", e->helper);
	json_int("active_since", it->age);
	json_string("text", text);
	json_close();
}

static void
print_one(const char *line, int64_t age, int64_t expires, int xml)
{
	if (xml) {
		printf("%s\n", line);
		return;
	}
	printf("%s", line);
	if (expires >= 0)
		printf(" [expires in %llds]", (long long)expires);
	printf(" [active since %llds]\n", (long long)age);
}

/*
 * One chunk: ct_batch_hdr then count records.  -1 if the framing or a
 * record is bad (nothing of that chunk is printed then).
 */
int
dump_chunk(const void *data, size_t len, int exp, int flags)
{
	struct ct_batch_hdr	 h;
	const char		*p = (const char *)data + sizeof(h);
	size_t			 isz = exp ? sizeof(struct exp_dump_item) :
				    sizeof(struct ct_dump_item);
	char			 line[LINE_MAX_DUMP];
	int			 xml = (flags & CTL_FLAG_XML) != 0;
	int			 json = (flags & CTL_FLAG_JSON) != 0;
	struct ct_dump_item	 ci;
	struct exp_dump_item	 ei;
	uint32_t		 i;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	if (len != sizeof(h) + (size_t)h.count * isz)
		return -1;
	for (i = 0; i < h.count; i++) {
		if (exp) {
			memcpy(&ei, p + i * isz, sizeof(ei));
			if (exp_entry_check(&ei.exp) != NULL)
				return -1;
		} else {
			memcpy(&ci, p + i * isz, sizeof(ci));
			if (ct_entry_check(&ci.ct) != NULL)
				return -1;
		}
	}
	if (json && !json_started) {
		json_begin(stdout);
		json_array(exp ? "expectations" : "conntracks");
		json_started = 1;
	}
	for (i = 0; i < h.count; i++) {
		if (exp) {
			memcpy(&ei, p + i * isz, sizeof(ei));
			ctnfct_format_exp(line, sizeof(line), &ei.exp,
			    xml && !json);
			if (json)
				json_exp(&ei, line);
			else
				print_one(line, ei.age, ei.expires, xml);
		} else {
			memcpy(&ci, p + i * isz, sizeof(ci));
			ctnfct_format_ct(line, sizeof(line), &ci.ct,
			    xml && !json);
			if (json)
				json_ct(&ci, line);
			else
				print_one(line, ci.age, ci.expires, xml);
		}
	}
	return 0;
}

/* The dump is over: close the JSON document (an empty one if need be). */
void
dump_end(int flags)
{
	if (!(flags & CTL_FLAG_JSON))
		return;
	if (!json_started) {
		json_begin(stdout);
		json_array("entries");
	}
	json_end();
	json_started = 0;
}
