/*
 * The wire side of -s: conntrackd's traffic, link, message-tracking,
 * network and queue blocks (conntrackd-spec §6.1, §6.3, §6.6, §6.7) in
 * its layout, so scripts that grep them keep working, and the same
 * figures in JSON under stable names.
 */
#include <net/if.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctsyncd.h"
#include "json.h"
#include "output.h"

#define ULL(x)	((unsigned long long)(x))

static const char *
link_kind_text(uint32_t kind)
{
	switch (kind) {
	case CONF_LINK_MCAST:
		return "multicast";
	case CONF_LINK_TCP:
		return "TCP";
	}
	return "UDP";
}

static void
link_counters_text(const struct sync_link_figures *f)
{
	printf("%20llu Bytes sent %20llu Bytes recv\n", ULL(f->bytes_sent),
	    ULL(f->bytes_recv));
	printf("%20llu Pckts sent %20llu Pckts recv\n", ULL(f->pkts_sent),
	    ULL(f->pkts_recv));
	printf("%20llu Error send %20llu Error recv\n\n", ULL(f->err_send),
	    ULL(f->err_recv));
}

static const struct sync_link_figures *
current_link(const struct sync_stats *ss)
{
	int	i;

	for (i = 0; i < SYNC_LINKS_MAX; i++)
		if (ss->links[i].kind != 0 && ss->links[i].current)
			return &ss->links[i];
	return NULL;
}

/* "UDP traffic (active device=IF):" and its counters */
void
netstats_active_link_text(const struct sync_stats *ss)
{
	const struct sync_link_figures	*f = current_link(ss);

	if (f == NULL)
		return;
	if (f->kind == CONF_LINK_TCP)
		printf("TCP traffic (active device=%s) server=%s client=%s:\n",
		    f->ifname, f->server ? "connected" : "disconnected",
		    f->client ? "connected" : "disconnected");
	else
		printf("%s traffic (active device=%s):\n",
		    link_kind_text(f->kind), f->ifname);
	link_counters_text(f);
}

void
netstats_tracking_text(const struct sync_stats *ss)
{
	printf("message tracking:\n%20llu Malformed msgs %20llu Lost msgs\n\n",
	    ULL(ss->net.malformed), ULL(ss->net.lost));
}

/* DisableInternalCache: conntrackd's "internal bypass" block */
void
netstats_bypass_text(const struct sync_stats *ss)
{
	printf("internal bypass:\n");
	printf("connections new:\t\t%12llu\n", ULL(ss->net.bypass_new));
	printf("connections updated:\t\t%12llu\n", ULL(ss->net.bypass_upd));
	printf("connections destroyed:\t\t%12llu\n\n",
	    ULL(ss->net.bypass_del));
}

/* -s network */
void
netstats_network_text(const struct sync_stats *ss)
{
	const struct sync_net_stats	*n = &ss->net;

	printf("network statistics:\n\trecv:\n");
	printf("\t\tMalformed messages:\t%20llu\n", ULL(n->malformed));
	printf("\t\tWrong protocol version:\t%20llu\n", ULL(n->bad_version));
	printf("\t\tMalformed header:\t%20llu\n", ULL(n->bad_header));
	printf("\t\tMalformed payload:\t%20llu\n", ULL(n->bad_payload));
	printf("\t\tBad message type:\t%20llu\n", ULL(n->bad_type));
	printf("\t\tTruncated message:\t%20llu\n", ULL(n->truncated));
	printf("\t\tBad message size:\t%20llu\n", ULL(n->bad_size));
	printf("\tsend:\n");
	printf("\t\tMalformed messages:\t%20llu\n\n", ULL(n->send_malformed));
	printf("sequence tracking statistics:\n\trecv:\n");
	printf("\t\tPackets lost:\t\t%20llu\n", ULL(n->lost));
	printf("\t\tPackets before:\t\t%20llu\n\n", ULL(n->before));
	netstats_active_link_text(ss);
}

/* -s link: every configured link, in configuration order */
void
netstats_link_text(const struct sync_stats *ss)
{
	const struct sync_link_figures	*f;
	int				 i;

	for (i = 0; i < SYNC_LINKS_MAX; i++) {
		f = &ss->links[i];
		if (f->kind == 0)
			continue;
		printf("%s traffic device=%s status=%s role=%s:\n",
		    link_kind_text(f->kind), f->ifname,
		    !(f->ifflags & IFF_UP) ? "DOWN" :
		    !(f->ifflags & IFF_RUNNING) ? "NO-CARRIER" : "RUNNING",
		    f->current ? "ACTIVE" : "BACKUP");
		link_counters_text(f);
	}
}

static void
queue_text(const char *name, uint64_t cur, uint64_t max)
{
	printf("queue %s:\ncurrent elements:\t\t%12llu\n", name, ULL(cur));
	printf("maximum elements:\t\t%12llu\n", ULL(max));
	printf("not enough space errors:\t%12llu\n\n", 0ULL);
}

/*
 * -s queue and -s rsqueue.  Objects are queued by reference, so no
 * queue node is ever allocated apart from control messages; the resend
 * queue is summarised rather than listed element by element.
 */
void
netstats_queue_text(const struct sync_stats *ss, int rsqueue)
{
	const struct sync_net_stats	*n = &ss->net;

	if (rsqueue) {
		printf("resent queue (len=%llu)\n", ULL(n->rsq_len));
		printf("retransmitted:\t\t\t%12llu\n", ULL(n->retransmitted));
		printf("sending paused (queue full):\t%12llu\n",
		    ULL(n->rsq_full));
		return;
	}
	printf("allocated queue nodes:\t\t%12llu\n\n", 0ULL);
	queue_text("txqueue", n->txq_len, n->txq_max);
	queue_text("rsqueue", n->rsq_len, n->rsq_max);
	printf("bulk send, objects still to queue:\t%12llu\n",
	    ULL(n->bulk_pending));
}

static void
link_json(const struct sync_link_figures *f)
{
	json_object(NULL);
	json_string("type", link_kind_text(f->kind));
	json_string("device", f->ifname);
	json_bool("active", f->current);
	json_bool("up", (f->ifflags & IFF_UP) != 0);
	json_bool("running", (f->ifflags & IFF_RUNNING) != 0);
	if (f->kind == CONF_LINK_TCP) {
		json_bool("server_connected", f->server);
		json_bool("client_connected", f->client);
	}
	json_uint("bytes_sent", f->bytes_sent);
	json_uint("bytes_recv", f->bytes_recv);
	json_uint("packets_sent", f->pkts_sent);
	json_uint("packets_recv", f->pkts_recv);
	json_uint("errors_send", f->err_send);
	json_uint("errors_recv", f->err_recv);
	json_close();
}

void
netstats_json(const struct sync_stats *ss)
{
	const struct sync_net_stats	*n = &ss->net;
	int				 i;

	json_object("network");
	json_uint("messages_sent", n->msg_sent);
	json_uint("messages_recv", n->msg_recv);
	json_uint("malformed", n->malformed);
	json_uint("wrong_version", n->bad_version);
	json_uint("malformed_header", n->bad_header);
	json_uint("malformed_payload", n->bad_payload);
	json_uint("bad_type", n->bad_type);
	json_uint("truncated", n->truncated);
	json_uint("bad_size", n->bad_size);
	json_uint("lost", n->lost);
	json_uint("before", n->before);
	json_uint("retransmitted", n->retransmitted);
	json_uint("skipped_resent", n->skipped_resent);
	json_uint("acks_sent", n->acks_sent);
	json_uint("acks_recv", n->acks_recv);
	json_uint("nacks_sent", n->nacks_sent);
	json_uint("nacks_recv", n->nacks_recv);
	json_uint("resync_sent", n->resync_sent);
	json_uint("resync_recv", n->resync_recv);
	json_uint("alive_sent", n->alive_sent);
	json_uint("peer_restarts", n->hello_recv);
	json_uint("peers_live", n->peers_live);
	json_uint("peers_lost", n->peers_lost);
	json_uint("peer_catchups", n->peer_catchups);
	json_uint("hello_resyncs", n->hello_resyncs);
	json_uint("peers_refused", n->peers_refused);
	json_bool("internal_bypass", n->bypass != 0);
	json_uint("bypass_sent", n->bypass_sent);
	json_uint("bypass_queued", n->bypass_queued);
	json_uint("bypass_dropped", n->bypass_dropped);
	json_uint("inject_sent", n->inject_sent);
	json_uint("bulk_sends", n->bulk_sends);
	json_uint("external_expired", n->ext_expired);
	json_int("last_recv_uptime", n->last_recv);
	json_uint("last_seq", n->last_seq);
	json_close();
	json_object("queues");
	json_uint("txqueue", n->txq_len);
	json_uint("txqueue_max", n->txq_max);
	json_uint("bulk_pending", n->bulk_pending);
	json_uint("rsqueue", n->rsq_len);
	json_uint("rsqueue_max", n->rsq_max);
	json_uint("rsqueue_full_pauses", n->rsq_full);
	json_close();
	json_array("links");
	for (i = 0; i < SYNC_LINKS_MAX; i++)
		if (ss->links[i].kind != 0)
			link_json(&ss->links[i]);
	json_close();
}
