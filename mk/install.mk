# make install [DESTDIR=...] [PREFIX=/usr]: binaries, BPF objects, the systemd
# unit, an example config, the schema, example rules and docs, at FHS paths.
# Installed programs are built apart (build/install) with KS_BPF_DIR pointing
# at the installed objects, so the build tree's binaries keep their own.
PREFIX ?= /usr
DESTDIR ?=
KS_LIBDIR := $(PREFIX)/lib/keysteer
KS_INSTALL_BUILD := $(BUILD)/install

.PHONY: install uninstall
install:
	@$(MAKE) --no-print-directory BUILD=$(KS_INSTALL_BUILD) KS_BPF_DIR=$(KS_LIBDIR) \
		$(KS_INSTALL_BUILD)/keysteer $(KS_INSTALL_BUILD)/keysteerd \
		$(KS_INSTALL_BUILD)/bpf/ks_router.bpf.o $(KS_INSTALL_BUILD)/bpf/ks_decap.bpf.o \
		$(KS_INSTALL_BUILD)/bpf/ks_shadow.bpf.o
	install -D -m 0755 $(KS_INSTALL_BUILD)/keysteer $(DESTDIR)$(PREFIX)/bin/keysteer
	install -D -m 0755 $(KS_INSTALL_BUILD)/keysteerd $(DESTDIR)$(PREFIX)/sbin/keysteerd
	install -D -m 0644 $(KS_INSTALL_BUILD)/bpf/ks_router.bpf.o $(DESTDIR)$(KS_LIBDIR)/ks_router.bpf.o
	install -D -m 0644 $(KS_INSTALL_BUILD)/bpf/ks_decap.bpf.o $(DESTDIR)$(KS_LIBDIR)/ks_decap.bpf.o
	install -D -m 0644 $(KS_INSTALL_BUILD)/bpf/ks_shadow.bpf.o $(DESTDIR)$(KS_LIBDIR)/ks_shadow.bpf.o
	install -D -m 0644 packaging/keysteerd.service $(DESTDIR)/lib/systemd/system/keysteerd.service
	install -D -m 0644 packaging/keysteerd.conf.example \
		$(DESTDIR)/etc/keysteer/keysteerd.conf.example
	[ -e $(DESTDIR)/etc/keysteer/keysteerd.conf ] || install -m 0644 \
		packaging/keysteerd.conf.example $(DESTDIR)/etc/keysteer/keysteerd.conf
	install -D -m 0644 rules/schema/keysteer-v1.schema.json \
		$(DESTDIR)$(PREFIX)/share/keysteer/keysteer-v1.schema.json
	install -d $(DESTDIR)$(PREFIX)/share/keysteer/examples $(DESTDIR)$(PREFIX)/share/doc/keysteer
	install -m 0644 rules/examples/*.json $(DESTDIR)$(PREFIX)/share/keysteer/examples/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/keysteer/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/keysteer $(DESTDIR)$(PREFIX)/sbin/keysteerd \
		$(DESTDIR)/lib/systemd/system/keysteerd.service
	rm -rf $(DESTDIR)$(KS_LIBDIR) $(DESTDIR)$(PREFIX)/share/keysteer \
		$(DESTDIR)$(PREFIX)/share/doc/keysteer

# The install into a scratch DESTDIR: files where they belong, and the
# installed keysteerd looks for its router object under /usr/lib/keysteer.
check-install:
	@$(call run_test,install,bash tests/install/test_install.sh)
CHECK_TARGETS += check-install
.PHONY: check-install
