# ctsyncd - GNU make + pkg-config.  `make`, `make check`, `make install`,
# `make SANITIZE=1 check` (ASan+UBSan), `make fuzz FUZZ_SECONDS=N`.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# the keepalived hook and the systemd unit, paths adjusted to SBINDIR
CONTRIBDIR ?= $(PREFIX)/share/ctsyncd/contrib
DESTDIR	?=

CC	?= cc
# make predefines YACC, so ?= would never apply
YACC	= byacc
PKG_CONFIG ?= pkg-config
PKGS	:= libbsd-overlay libmnl libnetfilter_conntrack libseccomp libcap-ng

FUZZ_SECONDS ?= 20
FUZZ_CC	?= clang

ifeq ($(SANITIZE),1)
B	:= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined -DCTSYNCD_SANITIZE
OPTFLAGS := -O1 -g
else
B	:= build
SANFLAGS :=
OPTFLAGS := -O2 -g -D_FORTIFY_SOURCE=2
endif

WARN	:= -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wshadow -Wpointer-arith -Wsign-compare \
	   -Wno-unused-parameter
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 $(OPTFLAGS) $(WARN) $(SANFLAGS) -fstack-protector-strong \
	     -fPIE -D_GNU_SOURCE -Iinclude -I$(B)/daemon $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) -pie -Wl,-z,relro,-z,now $(LDFLAGS)

# modules, by owner
IMSG_OBJS   := privsep/imsg.o
CONF_OBJS   := daemon/parse.o daemon/config.o
PRIV_OBJS   := privsep/proc.o privsep/privdrop.o privsep/sandbox.o \
	       privsep/channel.o daemon/config_imsg.o
ENTRY_OBJS  := daemon/ctentry.o daemon/ctnfct.o
NET_OBJS    := net/wire.o net/wire_ct.o net/wire_exp.o
DAEMON_OBJS := daemon/ctsyncd.o daemon/monitor.o daemon/control.o \
	       daemon/ctlreq.o daemon/child.o \
	       daemon/log.o daemon/sync.o daemon/kernel.o daemon/cache.o \
	       daemon/cacherec.o \
	       daemon/ctnl.o daemon/ctmnl.o daemon/kfilter.o daemon/kdump.o \
	       daemon/kwrite.o daemon/kcheck.o \
	       daemon/intcache.o daemon/scommit.o daemon/scheck.o \
	       daemon/ctldump.o \
	       daemon/mlink.o daemon/txq.o daemon/smode.o daemon/ftfw.o \
	       daemon/sdnotify.o \
	       daemon/extcache.o net/link.o net/link_tcp.o net/mmsg.o \
	       $(ENTRY_OBJS) $(NET_OBJS) \
	       $(PRIV_OBJS) $(CONF_OBJS) $(IMSG_OBJS)
CTL_OBJS    := ctl/ctsyncctl.o ctl/parser.o ctl/output.o ctl/netstats.o \
	       ctl/json.o ctl/dump.o \
	       $(ENTRY_OBJS) $(CONF_OBJS) $(IMSG_OBJS)

UNIT_TESTS  := test_imsg test_config test_ctlparse test_privsep test_ctentry \
	       test_cache test_wire test_ctmnl test_link
FUZZERS     := fuzz_imsg fuzz_config fuzz_wire fuzz_kimsg fuzz_simsg fuzz_ctl

BINS	:= $(B)/ctsyncd $(B)/ctsyncctl $(B)/ctsyncd-testhooks

.PHONY: all check unit bats fuzz fuzz-short fuzz-corpus lint-man install \
	clean deps demo bench bench-commit bench-replicate bench-churn \
	bench-report
all: $(BINS)

$(B)/%.o: %.c $(wildcard include/*.h daemon/*.h net/*.h tests/unit/*.h) $(B)/daemon/parse.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Idaemon -Inet -c -o $@ $<

$(B)/daemon/parse.c $(B)/daemon/parse.h: daemon/parse.y
	@mkdir -p $(B)/daemon
	$(YACC) -d -o $(B)/daemon/parse.c daemon/parse.y

$(B)/daemon/parse.o: $(B)/daemon/parse.c include/config.h
	$(CC) $(ALL_CFLAGS) -Idaemon -Wno-missing-prototypes -c -o $@ $<

# the test build: same daemon plus test-only hooks (seccomp violation trigger)
$(B)/daemon/testhook.o: daemon/testhook.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/daemon/testhook-on.o: daemon/testhook.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DCTSYNCD_TEST_HOOKS -c -o $@ $<

$(B)/ctsyncd: $(addprefix $(B)/,$(DAEMON_OBJS)) $(B)/daemon/testhook.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/ctsyncd-testhooks: $(addprefix $(B)/,$(DAEMON_OBJS)) $(B)/daemon/testhook-on.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/ctsyncctl: $(addprefix $(B)/,$(CTL_OBJS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# unit tests link only the modules they exercise
$(B)/tests/test_imsg: $(B)/tests/unit/test_imsg.o $(addprefix $(B)/,$(IMSG_OBJS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_config: $(B)/tests/unit/test_config.o $(addprefix $(B)/,$(CONF_OBJS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_privsep: $(B)/tests/unit/test_privsep.o $(B)/privsep/channel.o \
	    $(B)/daemon/config_imsg.o $(addprefix $(B)/,$(CONF_OBJS) $(IMSG_OBJS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_ctlparse: $(B)/tests/unit/test_ctlparse.o $(B)/ctl/parser.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_ctentry: $(B)/tests/unit/test_ctentry.o $(addprefix $(B)/,$(ENTRY_OBJS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_cache: $(B)/tests/unit/test_cache.o $(B)/daemon/cache.o \
	    $(B)/daemon/cacherec.o $(B)/daemon/ctentry.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_ctmnl: $(B)/tests/unit/test_ctmnl.o $(B)/daemon/ctmnl.o \
	    $(addprefix $(B)/,$(ENTRY_OBJS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_link: $(B)/tests/unit/test_link.o $(B)/net/link.o \
	    $(B)/net/mmsg.o $(B)/daemon/log.o $(addprefix $(B)/,$(IMSG_OBJS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_wire: $(B)/tests/unit/test_wire.o \
	    $(addprefix $(B)/,$(filter net/wire%,$(NET_OBJS))) \
	    $(B)/daemon/ctentry.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# test tools: the raw batched insert (bench reference, bursts in bats)
# and the imsg injector for the kernel-side validation tests
$(B)/tests/rawinsert: tests/bench/rawinsert.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 $(WARN) $(SANFLAGS) -D_GNU_SOURCE -o $@ $< $(PKG_CFLAGS) $(PKG_LIBS)
$(B)/tests/mkinject: $(B)/tests/unit/mkinject.o $(B)/daemon/ctentry.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
# the fault tests' impairing relay and hostile sender (tests/tools/)
$(B)/tests/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PKG_LIBS)
TEST_TOOLS := $(B)/tests/rawinsert $(B)/tests/mkinject $(B)/tests/impair \
	      $(B)/tests/garble

unit: $(addprefix $(B)/tests/,$(UNIT_TESTS))
	@set -e; for t in $^; do echo "== $$t"; $$t; done

# libFuzzer targets (clang), always with ASan+UBSan
FZ	:= build-fuzz
FZFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
	   -I$(FZ)/daemon $(PKG_CFLAGS)
$(FZ)/daemon/parse.c: daemon/parse.y
	@mkdir -p $(FZ)/daemon
	$(YACC) -d -o $(FZ)/daemon/parse.c daemon/parse.y
$(FZ)/fuzz_imsg: tests/fuzz/fuzz_imsg.c privsep/imsg.c
	@mkdir -p $(FZ)
	$(FUZZ_CC) $(FZFLAGS) -o $@ $^ $(PKG_LIBS)
$(FZ)/fuzz_config: tests/fuzz/fuzz_config.c $(FZ)/daemon/parse.c daemon/config.c
	@mkdir -p $(FZ)
	$(FUZZ_CC) $(FZFLAGS) -Idaemon -o $@ $^ $(PKG_LIBS)
$(FZ)/fuzz_wire: tests/fuzz/fuzz_wire.c $(patsubst %.o,%.c,$(filter net/wire%,$(NET_OBJS))) \
	    daemon/ctentry.c \
	    $(wildcard include/*.h net/*.h)
	@mkdir -p $(FZ)
	$(FUZZ_CC) $(FZFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)
# the message validators, sharing their code with the daemon (kcheck.c,
# scheck.c, ctlreq.c); built with the daemon's warnings
FZ_HDRS	:= $(wildcard include/*.h daemon/*.h tests/fuzz/*.h)
$(FZ)/fuzz_kimsg: tests/fuzz/fuzz_kimsg.c daemon/kcheck.c daemon/ctentry.c \
	    privsep/channel.c privsep/imsg.c $(FZ_HDRS)
	@mkdir -p $(FZ)
	$(FUZZ_CC) $(FZFLAGS) $(WARN) -Idaemon -o $@ $(filter %.c,$^) $(PKG_LIBS)
$(FZ)/fuzz_simsg: tests/fuzz/fuzz_simsg.c daemon/scheck.c daemon/cache.c \
	    daemon/cacherec.c daemon/ctentry.c privsep/channel.c privsep/imsg.c $(FZ_HDRS)
	@mkdir -p $(FZ)
	$(FUZZ_CC) $(FZFLAGS) $(WARN) -Idaemon -o $@ $(filter %.c,$^) $(PKG_LIBS)
$(FZ)/fuzz_ctl: tests/fuzz/fuzz_ctl.c daemon/ctlreq.c privsep/channel.c \
	    privsep/imsg.c $(FZ_HDRS)
	@mkdir -p $(FZ)
	$(FUZZ_CC) $(FZFLAGS) $(WARN) -Idaemon -o $@ $(filter %.c,$^) $(PKG_LIBS)

# seeds of fuzz_kimsg, fuzz_simsg and fuzz_ctl: valid messages, written
# by a generator that checks each against the validator it seeds
$(B)/tests/mkcorpus: tests/fuzz/mkcorpus.c $(B)/ctl/parser.o \
	    $(addprefix $(B)/daemon/,kcheck.o scheck.o ctlreq.o ctentry.o) \
	    $(addprefix $(B)/,$(IMSG_OBJS)) $(FZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Idaemon -Ictl -Itests/unit $(ALL_LDFLAGS) -o $@ \
	    $(filter %.c %.o,$^) $(PKG_LIBS)
fuzz-corpus: $(B)/tests/mkcorpus
	$(B)/tests/mkcorpus tests/fuzz/corpus

# Each target's output goes to a log first: piped into tail, a crash's
# exit status would be tail's.  Crash inputs land next to the log.
fuzz: $(addprefix $(FZ)/,$(FUZZERS))
	@set -e; for f in $(FUZZERS); do \
	    mkdir -p $(FZ)/corpus-$$f; \
	    echo "== $$f for $(FUZZ_SECONDS)s"; \
	    if ! $(FZ)/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -timeout=10 -artifact_prefix=$(FZ)/$$f- $(FZ)/corpus-$$f \
	        tests/fuzz/corpus/$$f > $(FZ)/$$f.log 2>&1; then \
	        tail -n 60 $(FZ)/$$f.log; \
	        echo "$$f FAILED, see $(FZ)/$$f.log"; exit 1; \
	    fi; \
	    tail -n 12 $(FZ)/$$f.log; \
	done
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(if $(filter 1,$(SANITIZE)),5,15)

lint-man:
	mandoc -Tlint -W warning man/*.[0-9]

bats: all $(TEST_TOOLS)
	CTSYNCD_BUILD=$(abspath $(B)) CTSYNCD_SANITIZE=$(if $(filter 1,$(SANITIZE)),1,0) \
	    bats --timing tests/bats

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory lint-man
	@$(MAKE) --no-print-directory bats
	@$(MAKE) --no-print-directory fuzz-short

deps:
	@sh tests/deps.sh

# benchmarks: ratios against the kernel's raw rate and conntrackd, same
# run; all run even if one fails, then report.sh prints one summary.
# BENCH_N="100000 1000000" (churn uses the first).  Each script's
# stdout is kept in tests/bench/results/NAME.out for report.sh.
BENCH_RUN = bash -o pipefail -c 'mkdir -p tests/bench/results && \
	bash tests/bench/$$0.sh "$$@" | tee tests/bench/results/$$0.out'
bench: all $(TEST_TOOLS)
	@rc=0; for p in commit replicate churn; do \
	    $(BENCH_RUN) $$p $(B) $(BENCH_N) || rc=1; done; \
	    echo; bash tests/bench/report.sh || rc=1; exit $$rc
bench-commit: all $(TEST_TOOLS)
	@$(BENCH_RUN) commit $(B) $(BENCH_N)
bench-replicate: all $(TEST_TOOLS)
	@$(BENCH_RUN) replicate $(B) $(BENCH_N)
bench-churn: all $(TEST_TOOLS)
	@$(BENCH_RUN) churn $(B) $(BENCH_N)
bench-report:
	@bash tests/bench/report.sh

demo: deps
	@$(MAKE) --no-print-directory all $(B)/tests/rawinsert
	@bash tests/demo.sh $(B)

install: $(B)/ctsyncd $(B)/ctsyncctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/ctsyncd
	install -m 0755 $(B)/ctsyncd $(B)/ctsyncctl $(DESTDIR)$(SBINDIR)/
	install -m 0644 man/ctsyncd.8 man/ctsyncctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/ctsyncd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(PREFIX)/share/doc/ctsyncd/examples
	install -m 0644 etc/*.conf $(DESTDIR)$(PREFIX)/share/doc/ctsyncd/examples/
	install -d $(DESTDIR)$(CONTRIBDIR)/keepalived $(DESTDIR)$(CONTRIBDIR)/systemd
	sed 's|^sbindir=.*|sbindir=$(SBINDIR)|' contrib/keepalived/ctsyncd-notify.sh \
	    > $(DESTDIR)$(CONTRIBDIR)/keepalived/ctsyncd-notify.sh
	chmod 0755 $(DESTDIR)$(CONTRIBDIR)/keepalived/ctsyncd-notify.sh
	install -m 0644 contrib/keepalived/keepalived.conf.snippet \
	    $(DESTDIR)$(CONTRIBDIR)/keepalived/
	sed 's|/usr/local/sbin|$(SBINDIR)|g' contrib/systemd/ctsyncd.service \
	    > $(DESTDIR)$(CONTRIBDIR)/systemd/ctsyncd.service
	chmod 0644 $(DESTDIR)$(CONTRIBDIR)/systemd/ctsyncd.service
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/ctsyncd/ctsyncd.conf ]; then \
	    install -m 0644 etc/ctsyncd.conf $(DESTDIR)$(SYSCONFDIR)/ctsyncd/ctsyncd.conf; \
	else echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/ctsyncd/ctsyncd.conf"; fi

clean:
	rm -rf build build-san build-fuzz
