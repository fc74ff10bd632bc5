/* The unit tests' one assertion: count it, report a failure, go on. */
#ifndef CTSYNCD_TEST_CHECK_H
#define CTSYNCD_TEST_CHECK_H

#include <stdio.h>

static int	nchecks, nfailed;

#define CHECK(cond) do {						\
	nchecks++;							\
	if (!(cond)) {							\
		nfailed++;						\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#endif
