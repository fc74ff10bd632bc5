/*
 * Sync link sockets, opened by the monitor as root before anything is
 * spawned: binding to a configured address or device, joining a
 * multicast group and forcing buffer sizes need privileges the sync
 * process never has.  Sync gets the bound sockets as descriptors.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define MLINK_MAX_FDS	(CONF_MAX_LINKS * 2)
#define MLINK_DEFAULT_MTU 1500
#define MLINK_DEFAULT_RCVBUF (4 * 1024 * 1024)

struct mlink_fd {
	int		 fd;
	struct sync_link info;
};

static struct mlink_fd	mfd[MLINK_MAX_FDS];
static int		nmfd;
static int		rtnl_fd = -1;
static uint32_t		link_ifindex[CONF_MAX_LINKS];
static uint32_t		link_ifflags[CONF_MAX_LINKS];	/* as sync knows them */
static int		nlink_ifindex;
static int64_t		refresh_at;
static uint32_t		refresh_seq;

#define MLINK_REFRESH_MS	1000

static const char *
link_kind_name(int kind)
{
	switch (kind) {
	case CONF_LINK_MCAST:
		return "Multicast";
	case CONF_LINK_UDP:
		return "UDP";
	case CONF_LINK_TCP:
		return "TCP";
	}
	return "link";
}

/* Interface MTU and index; a missing interface is a configuration error. */
static int
link_iface(const struct conf_link *l, uint32_t *mtu, uint32_t *ifindex,
    uint32_t *flags)
{
	struct ifreq	ifr;
	int		s;

	*mtu = MLINK_DEFAULT_MTU;
	*ifindex = 0;
	*flags = IFF_UP | IFF_RUNNING;	/* no interface: assume it works */
	if (l->ifname[0] == '\0')
		return 0;
	if ((*ifindex = if_nametoindex(l->ifname)) == 0) {
		log_warn("%s link (line %u): interface %s", link_kind_name(
		    l->kind), l->line, l->ifname);
		return -1;
	}
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, l->ifname, sizeof(ifr.ifr_name));
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 576)
		*mtu = (uint32_t)ifr.ifr_mtu;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0)
		*flags = (uint32_t)ifr.ifr_flags & (IFF_UP | IFF_RUNNING);
	close(s);
	return 0;
}

static socklen_t
link_sockaddr(struct sockaddr_storage *ss, int family,
    const struct in6_addr *a, uint16_t port, uint32_t ifindex)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (a != NULL)
			memcpy(&sin->sin_addr, a, sizeof(sin->sin_addr));
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (a != NULL) {
		sin6->sin6_addr = *a;
		/* link-local and multicast addresses need their interface */
		if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MULTICAST(a))
			sin6->sin6_scope_id = ifindex;
	}
	return sizeof(*sin6);
}

/* Options every link socket gets: device, buffers, checksum. */
static int
link_common_opts(int s, const struct conf_link *l)
{
	int	on = 1, off, v;

	if (l->ifname[0] != '\0' && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE,
	    l->ifname, strlen(l->ifname)) == -1)
		return -1;
	if (l->sndbuf != 0) {
		v = (int)l->sndbuf;
		if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v))
		    == -1)
			return -1;
	}
	/*
	 * A bulk from a peer arrives faster than one poll round drains
	 * it; the system default (about 90 datagrams) overflows and costs
	 * retransmissions, so receivers get a roomy buffer unless told.
	 */
	if (l->rcvbuf != 0 || l->kind != CONF_LINK_TCP) {
		v = l->rcvbuf != 0 ? (int)l->rcvbuf : MLINK_DEFAULT_RCVBUF;
		if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v))
		    == -1)
			return -1;
	}
	if (l->kind != CONF_LINK_TCP && l->family == AF_INET) {
		off = l->checksum ? 0 : 1;
		if (setsockopt(s, SOL_SOCKET, SO_NO_CHECK, &off, sizeof(off))
		    == -1)
			return -1;
	}
	return setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
}

static int
link_socket(const struct conf_link *l, int type)
{
	int	s;

	if ((s = socket(l->family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0))
	    == -1)
		return -1;
	if (link_common_opts(s, l) == -1) {
		close(s);
		return -1;
	}
	return s;
}

static int
mcast_join(int s, const struct conf_link *l, uint32_t ifindex)
{
	struct ip_mreqn		mr;
	struct ipv6_mreq	mr6;

	if (l->family == AF_INET) {
		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.imr_multiaddr, &l->addr, sizeof(mr.imr_multiaddr));
		if (l->has_mcast_ifaddr)
			mr.imr_address = l->mcast_ifaddr;
		mr.imr_ifindex = (int)ifindex;
		return setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
		    sizeof(mr));
	}
	memset(&mr6, 0, sizeof(mr6));
	mr6.ipv6mr_multiaddr = l->addr;
	mr6.ipv6mr_interface = ifindex;
	return setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr6, sizeof(mr6));
}

/* Sender of a multicast link: its interface, no loop, one hop. */
static int
mcast_send_opts(int s, const struct conf_link *l, uint32_t ifindex)
{
	struct ip_mreqn	mr;
	int		zero = 0, one = 1;

	if (l->family == AF_INET) {
		memset(&mr, 0, sizeof(mr));
		if (l->has_mcast_ifaddr)
			mr.imr_address = l->mcast_ifaddr;
		mr.imr_ifindex = (int)ifindex;
		if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &mr,
		    sizeof(mr)) == -1 ||
		    setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
		    sizeof(zero)) == -1)
			return -1;
		return setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &one,
		    sizeof(one));
	}
	if (setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
	    sizeof(ifindex)) == -1 ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero,
	    sizeof(zero)) == -1)
		return -1;
	return setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one,
	    sizeof(one));
}

struct link_info {
	uint32_t	mtu;
	uint32_t	ifindex;
	uint32_t	flags;
};

static void
mlink_keep(int fd, uint32_t link, uint32_t role, const struct link_info *li,
    const struct sockaddr_storage *dest, socklen_t dlen)
{
	struct mlink_fd	*m = &mfd[nmfd++];

	memset(m, 0, sizeof(*m));
	m->fd = fd;
	m->info.link = link;
	m->info.role = role;
	m->info.mtu = li->mtu;
	m->info.ifindex = li->ifindex;
	m->info.ifflags = li->flags;
	if (dest != NULL) {
		memcpy(m->info.dest, dest, dlen);
		m->info.destlen = dlen;
	}
}

/* The local address a link's sockets bind to (never "any" if set). */
static const struct in6_addr *
link_local_addr(const struct conf_link *l)
{
	static struct in6_addr	a;

	if (l->kind == CONF_LINK_MCAST) {
		if (l->family != AF_INET || !l->has_mcast_ifaddr)
			return NULL;
		memset(&a, 0, sizeof(a));
		memcpy(&a, &l->mcast_ifaddr, sizeof(l->mcast_ifaddr));
		return &a;
	}
	return l->has_addr ? &l->addr : NULL;
}

/*
 * Datagrams a peer sent as one segmented send (as ctsyncd does) may
 * arrive as one read: fewer wake-ups and one trip through the stack
 * for dozens of datagrams.  Without it (Linux < 5.0) each arrives alone.
 */
static void
link_gro(int s)
{
	int	on = 1;

	if (setsockopt(s, SOL_UDP, UDP_GRO, &on, sizeof(on)) == -1)
		log_debug("UDP_GRO: %s", strerror(errno));
}

static int
open_datagram_link(uint32_t i, const struct conf_link *l,
    const struct link_info *li)
{
	uint32_t		ifindex = li->ifindex;
	struct sockaddr_storage	ss, dst;
	socklen_t		sl, dl;
	int			rs, ss_fd;

	/* receiver: UDP on its address, multicast on the group */
	if ((rs = link_socket(l, SOCK_DGRAM)) == -1)
		return -1;
	link_gro(rs);
	sl = link_sockaddr(&ss, l->family, l->kind == CONF_LINK_MCAST ||
	    l->has_addr ? &l->addr : NULL, l->port, ifindex);
	if (bind(rs, (struct sockaddr *)&ss, sl) == -1 ||
	    (l->kind == CONF_LINK_MCAST && mcast_join(rs, l, ifindex) == -1)) {
		close(rs);
		return -1;
	}
	/* sender: from the local address, to the peer or the group */
	if ((ss_fd = link_socket(l, SOCK_DGRAM)) == -1) {
		close(rs);
		return -1;
	}
	sl = link_sockaddr(&ss, l->family, link_local_addr(l), 0, ifindex);
	dl = link_sockaddr(&dst, l->family, l->kind == CONF_LINK_MCAST ?
	    &l->addr : &l->dest, l->port, ifindex);
	if (bind(ss_fd, (struct sockaddr *)&ss, sl) == -1 ||
	    (l->kind == CONF_LINK_MCAST &&
	    mcast_send_opts(ss_fd, l, ifindex) == -1)) {
		close(rs);
		close(ss_fd);
		return -1;
	}
	mlink_keep(rs, i, SLINK_RECV, li, NULL, 0);
	mlink_keep(ss_fd, i, SLINK_SEND, li, &dst, dl);
	return 0;
}

static int
open_tcp_link(uint32_t i, const struct conf_link *l,
    const struct link_info *li)
{
	uint32_t		ifindex = li->ifindex;
	struct sockaddr_storage	ss, dst;
	socklen_t		sl, dl;
	int			ls, on = 1;

	if ((ls = link_socket(l, SOCK_STREAM)) == -1)
		return -1;
	sl = link_sockaddr(&ss, l->family, l->has_addr ? &l->addr : NULL,
	    l->port, ifindex);
	if (setsockopt(ls, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1 ||
	    bind(ls, (struct sockaddr *)&ss, sl) == -1 || listen(ls, 1) == -1) {
		close(ls);
		return -1;
	}
	dl = link_sockaddr(&dst, l->family, &l->dest, l->port, ifindex);
	mlink_keep(ls, i, SLINK_LISTEN, li, &dst, dl);
	/* sync's own connections leave from our address, never "any" */
	if (l->has_addr) {
		sl = link_sockaddr(&ss, l->family, &l->addr, 0, ifindex);
		memcpy(mfd[nmfd - 1].info.local, &ss, sl);
		mfd[nmfd - 1].info.locallen = sl;
	}
	return 0;
}

/*
 * Open every configured link.  -1 (after saying why) when one cannot be
 * opened: a firewall that silently does not replicate is worse than one
 * that refuses to start.
 */
int
mlink_open(const struct ctsyncd_conf *conf)
{
	const struct conf_link	*l;
	struct link_info	 li;
	uint32_t		 i;
	int			 rc;

	for (i = 0; i < conf->sync.nlinks && i < CONF_MAX_LINKS; i++) {
		l = &conf->sync.links[i];
		if (link_iface(l, &li.mtu, &li.ifindex, &li.flags) == -1)
			return -1;
		if (li.ifindex != 0) {
			link_ifindex[nlink_ifindex] = li.ifindex;
			link_ifflags[nlink_ifindex++] = li.flags;
		}
		if (l->kind == CONF_LINK_TCP)
			rc = open_tcp_link(i, l, &li);
		else
			rc = open_datagram_link(i, l, &li);
		if (rc == -1) {
			log_warn("cannot open %s link (line %u) on port %u",
			    link_kind_name(l->kind), l->line, l->port);
			return -1;
		}
	}
	return 0;
}

/* Hand the sockets to sync; the imsg layer closes our copies once sent. */
int
mlink_send(struct imsgbuf *ibuf)
{
	int	i;

	for (i = 0; i < nmfd; i++) {
		if (imsg_compose(ibuf, IMSG_SYNC_LINK, 0, 0, mfd[i].fd,
		    &mfd[i].info, sizeof(mfd[i].info)) == -1)
			return -1;
		mfd[i].fd = -1;
	}
	nmfd = 0;
	return 0;
}

/*
 * Link state: the monitor listens to rtnetlink (opened as root, read
 * from inside its sandbox) and tells sync when a link's interface goes
 * down or comes back, so sync can fail over without a netlink socket.
 * It listens before mlink_open() reads the interfaces' flags: a change
 * between the two (a veth's carrier comes up late) would be lost, and
 * sync would keep a working link for dead.
 */
int
mlink_watch_open(const struct ctsyncd_conf *conf)
{
	struct sockaddr_nl	sa;
	uint32_t		i;
	int			named = 0;

	for (i = 0; i < conf->sync.nlinks && i < CONF_MAX_LINKS; i++)
		if (conf->sync.links[i].ifname[0] != '\0')
			named = 1;
	if (!named)
		return 0;
	if ((rtnl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, NETLINK_ROUTE)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK;
	if (bind(rtnl_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(rtnl_fd);
		rtnl_fd = -1;
		return -1;
	}
	return 0;
}

int
mlink_watch_fd(void)
{
	return rtnl_fd;
}

/* Tell sync when a watched interface changes; only when it changes. */
static void
watched_state(uint32_t ifindex, uint32_t flags)
{
	struct sync_link_state	st;
	int			i, changed = 0;

	for (i = 0; i < nlink_ifindex; i++)
		if (link_ifindex[i] == ifindex && link_ifflags[i] != flags) {
			link_ifflags[i] = flags;
			changed = 1;
		}
	if (!changed)
		return;
	st.ifindex = ifindex;
	st.ifflags = flags;
	monitor_relay_to_child(PROC_SYNC, IMSG_SYNC_LINK_STATE, 0, &st,
	    sizeof(st));
}

/*
 * Ask for the state of each watched interface, every MLINK_REFRESH_MS.
 * A notification can be missed: this kernel does not always send one
 * when a veth's carrier comes up late, and sync then kept a working
 * link for dead.  The answers are read as notifications are.
 */
void
mlink_watch_refresh(int64_t now)
{
	struct {
		struct nlmsghdr		nh;
		struct ifinfomsg	ifi;
	}			req;
	int			i;

	if (rtnl_fd == -1 || now < refresh_at)
		return;
	refresh_at = now + MLINK_REFRESH_MS;
	for (i = 0; i < nlink_ifindex; i++) {
		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_len = sizeof(req);
		req.nh.nlmsg_type = RTM_GETLINK;
		req.nh.nlmsg_flags = NLM_F_REQUEST;
		req.nh.nlmsg_seq = ++refresh_seq;
		req.ifi.ifi_family = AF_UNSPEC;
		req.ifi.ifi_index = (int)link_ifindex[i];
		/* sendto: to the kernel; a full socket waits for the next round */
		if (sendto(rtnl_fd, &req, sizeof(req), MSG_DONTWAIT, NULL,
		    0) == -1 && errno != EAGAIN && errno != ENOBUFS)
			log_warn("link state request");
	}
}

/* Read what rtnetlink says; only our links' interfaces matter. */
void
mlink_watch_read(void)
{
	static uint8_t		 buf[16384];
	struct nlmsghdr		*nh;
	struct ifinfomsg	*ifi;
	ssize_t			 n;
	int			 rounds;
	struct iovec		 iov;
	struct msghdr		 msg;

	for (rounds = 0; rounds < 16; rounds++) {
		/* recvmsg: the monitor's sandbox has no recvfrom */
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if ((n = recvmsg(rtnl_fd, &msg, MSG_DONTWAIT)) <= 0) {
			if (n == -1 && errno == ENOBUFS)
				log_warnx("link state messages lost: state "
				    "will catch up at the next change");
			return;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		    nh = NLMSG_NEXT(nh, n)) {
			if ((nh->nlmsg_type != RTM_NEWLINK &&
			    nh->nlmsg_type != RTM_DELLINK) ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
				continue;
			ifi = NLMSG_DATA(nh);
			if (ifi->ifi_index <= 0)
				continue;
			watched_state((uint32_t)ifi->ifi_index,
			    nh->nlmsg_type == RTM_DELLINK ? 0 :
			    ifi->ifi_flags & (IFF_UP | IFF_RUNNING));
		}
	}
}
