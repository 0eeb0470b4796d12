# Installing torq-apply as a Debian tool: `make install` (PREFIX, DESTDIR),
# `make uninstall`, `make deb`, and their tests. Included by the top-level
# Makefile, whose variables it uses.

VERSION  := $(shell sed -n 's/^\#define TORQ_VERSION "\(.*\)"/\1/p' \
	include/torq/cli.h)
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DATADIR  := $(PREFIX)/share/torq-apply
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB      := build/deb/torq-apply_$(VERSION)_$(DEB_ARCH).deb

# Every file install puts, relative to $(DESTDIR); uninstall removes them.
INSTALLED := $(PREFIX)/bin/torq-apply $(PREFIX)/bin/torq-sim \
	$(MANDIR)/man1/torq-apply.1 $(MANDIR)/man1/torq-sim.1 \
	$(BASHCOMPDIR)/torq-apply $(DATADIR)/manifest.schema.json

.PHONY: install uninstall deb installcheck debcheck-root

install: $(TORQ_APPLY) $(TORQ_SIM)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(TORQ_APPLY) $(DESTDIR)$(PREFIX)/bin/torq-apply
	install -m 0755 $(TORQ_SIM) $(DESTDIR)$(PREFIX)/bin/torq-sim
	install -m 0644 packaging/man/torq-apply.1 packaging/man/torq-sim.1 \
		$(DESTDIR)$(MANDIR)/man1/
	install -m 0644 packaging/bash-completion/torq-apply \
		$(DESTDIR)$(BASHCOMPDIR)/torq-apply
	install -m 0644 schema/manifest.schema.json $(DESTDIR)$(DATADIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null

ifeq ($(SANITIZE),1)
# The package holds the plain programs, never a sanitizer build's.
deb installcheck debcheck-root:
	@$(MAKE) --no-print-directory $@ SANITIZE=
else
deb: $(DEB)

$(DEB): $(TORQ_APPLY) $(TORQ_SIM) packaging/deb.sh packaging/debian/* \
		packaging/man/* packaging/bash-completion/* schema/manifest.schema.json
	@rm -rf build/deb/root
	@$(MAKE) --no-print-directory install DESTDIR=build/deb/root PREFIX=/usr \
		> /dev/null
	@sh packaging/deb.sh build/deb/root $(VERSION) $(DEB_ARCH) $@

# make install and uninstall into a temporary DESTDIR, the pages, the
# completion, then the package unpacked (dpkg -x) and lintian. Changes
# nothing outside build/ and a temporary directory.
installcheck: $(TORQ_APPLY) $(TORQ_SIM) $(DEB)
	@sh tests/install/check.sh $(DEB)

# The package installed for real with dpkg -i, used, and removed (root).
debcheck-root: $(DEB)
	@sh tests/install/root.sh $(DEB)
endif
