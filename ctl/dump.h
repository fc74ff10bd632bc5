/* ctsyncctl: printing cache dumps (-i, -e) as they stream in. */
#ifndef CTSYNCCTL_DUMP_H
#define CTSYNCCTL_DUMP_H

#include <stddef.h>

int	dump_chunk(const void *, size_t, int, int);
void	dump_end(int);

#endif
