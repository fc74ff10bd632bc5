/*
 * Streaming JSON emitter.  Keeps only a nesting stack of "first element
 * written" flags; names are omitted inside arrays.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH	16

static FILE	*jout;
static int	 jdepth;
static int	 jfirst[JSON_MAX_DEPTH];
static int	 jarray[JSON_MAX_DEPTH];

static void
json_put_string(const char *s)
{
	const unsigned char	*p;

	fputc('"', jout);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(jout, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)	/* keeps output valid */
			fprintf(jout, "\\u%04x", *p);
		else
			fputc(*p, jout);
	}
	fputc('"', jout);
}

/* separator, indentation and the member name, if in an object */
static void
json_prefix(const char *name)
{
	int	i;

	if (jdepth > 0) {
		fputs(jfirst[jdepth] ? "\n" : ",\n", jout);
		jfirst[jdepth] = 0;
	}
	for (i = 0; i < jdepth; i++)
		fputs("  ", jout);
	if (jdepth > 0 && !jarray[jdepth] && name != NULL) {
		json_put_string(name);
		fputs(": ", jout);
	}
}

static void
json_push(int array)
{
	if (jdepth + 1 >= JSON_MAX_DEPTH)
		return;
	jdepth++;
	jfirst[jdepth] = 1;
	jarray[jdepth] = array;
}

void
json_begin(FILE *f)
{
	jout = f;
	jdepth = 0;
	fputc('{', jout);
	json_push(0);
}

void
json_object(const char *name)
{
	json_prefix(name);
	fputc('{', jout);
	json_push(0);
}

void
json_array(const char *name)
{
	json_prefix(name);
	fputc('[', jout);
	json_push(1);
}

void
json_close(void)
{
	int	i, array = jarray[jdepth];

	if (jdepth == 0)
		return;
	jdepth--;
	fputc('\n', jout);
	for (i = 0; i < jdepth; i++)
		fputs("  ", jout);
	fputc(array ? ']' : '}', jout);
}

void
json_end(void)
{
	while (jdepth > 0)
		json_close();
	fputc('\n', jout);
}

void
json_uint(const char *name, uint64_t v)
{
	json_prefix(name);
	fprintf(jout, "%llu", (unsigned long long)v);
}

void
json_int(const char *name, int64_t v)
{
	json_prefix(name);
	fprintf(jout, "%lld", (long long)v);
}

void
json_bool(const char *name, int v)
{
	json_prefix(name);
	fputs(v ? "true" : "false", jout);
}

void
json_string(const char *name, const char *s)
{
	json_prefix(name);
	json_put_string(s);
}
