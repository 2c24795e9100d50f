dnl CTD_SYSTEMD_UNITDIR: where `make install' puts conntrackd.service.
dnl Default: PREFIX/lib/systemd/system, which systemd searches for both
dnl /usr and /usr/local prefixes (and which stays inside the prefix, so that
dnl `make distcheck' can install it).  --without-systemdsystemunitdir skips it.
AC_DEFUN([CTD_SYSTEMD_UNITDIR], [
AC_ARG_WITH([systemdsystemunitdir],
  [AS_HELP_STRING([--with-systemdsystemunitdir=DIR],
                  [install the systemd unit into DIR @<:@default: PREFIX/lib/systemd/system@:>@])],
  [], [with_systemdsystemunitdir='${prefix}/lib/systemd/system'])
AS_IF([test "x$with_systemdsystemunitdir" = xno], [with_systemdsystemunitdir=])
AC_SUBST([systemdsystemunitdir], [$with_systemdsystemunitdir])
AM_CONDITIONAL([INSTALL_SYSTEMD_UNIT], [test -n "$with_systemdsystemunitdir"])
])
