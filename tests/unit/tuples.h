/*
 * Building tuples for the unit tests from address strings.  Static
 * inline so each test takes what it uses.
 */
#ifndef CTSYNCD_TEST_TUPLES_H
#define CTSYNCD_TEST_TUPLES_H

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctentry.h"

static inline void
v4(uint32_t *a, const char *s)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) != 1)
		abort();
}

static inline void
v6(uint32_t *a, const char *s)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		abort();
}

static inline void
tuple4(struct ct_tuple *t, uint8_t l4, const char *src, const char *dst,
    uint16_t sport, uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->l3 = AF_INET;
	t->l4 = l4;
	v4(t->src, src);
	v4(t->dst, dst);
	t->sport = htons(sport);
	t->dport = htons(dport);
}

static inline void
tuple6(struct ct_tuple *t, uint8_t l4, const char *src, const char *dst,
    uint16_t sport, uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->l3 = AF_INET6;
	t->l4 = l4;
	v6(t->src, src);
	v6(t->dst, dst);
	t->sport = htons(sport);
	t->dport = htons(dport);
}

#endif
