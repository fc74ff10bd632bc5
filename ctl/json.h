/* A small streaming JSON emitter: no DOM, output as it goes. */
#ifndef CTSYNCCTL_JSON_H
#define CTSYNCCTL_JSON_H

#include <stdint.h>
#include <stdio.h>

void	json_begin(FILE *);
void	json_end(void);
void	json_object(const char *);
void	json_array(const char *);
void	json_close(void);
void	json_uint(const char *, uint64_t);
void	json_int(const char *, int64_t);
void	json_bool(const char *, int);
void	json_string(const char *, const char *);

#endif
