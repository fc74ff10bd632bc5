/*
 * Receive slots for recvmmsg(2), shared by the sync links and the
 * kernel process's event reads: many datagrams per system call.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "daemon.h"

/*
 * n receive slots for recvmmsg: slot i reads into bufs + i * bufsz, its
 * sender's address into names + i * namesz.
 */
void
mmsg_setup(struct mmsghdr *mm, struct iovec *iov, unsigned int n,
    void *bufs, size_t bufsz, void *names, size_t namesz)
{
	unsigned int	i;

	memset(mm, 0, sizeof(*mm) * n);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (char *)bufs + i * bufsz;
		iov[i].iov_len = bufsz;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = (char *)names + i * namesz;
		mm[i].msg_hdr.msg_namelen = (socklen_t)namesz;
	}
}
