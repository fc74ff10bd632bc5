/* ctsyncctl output: conntrackd's text layouts, or JSON with -j. */
#ifndef CTSYNCCTL_OUTPUT_H
#define CTSYNCCTL_OUTPUT_H

#include "ctsyncd.h"

void	output_runtime(const struct ctl_runtime *, int);
void	output_process_begin(int);
void	output_process(const struct ctl_process *, int);
void	output_process_end(int);
void	output_status(const struct ctl_status *, int);
void	output_sync_stats(const struct sync_stats *, uint32_t, int);

/* netstats.c */
void	netstats_active_link_text(const struct sync_stats *);
void	netstats_tracking_text(const struct sync_stats *);
void	netstats_network_text(const struct sync_stats *);
void	netstats_link_text(const struct sync_stats *);
void	netstats_queue_text(const struct sync_stats *, int);
void	netstats_json(const struct sync_stats *);
void	netstats_bypass_text(const struct sync_stats *);

#endif
