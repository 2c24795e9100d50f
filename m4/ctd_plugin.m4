# CTD_PLUGIN(NAME, DIR, DESCRIPTION, DEPENDENCY-TEST, WHY-MISSING)
# ---------------------------------------------------------------
# Declares one optional plugin built from plugins/DIR.  It adds
# --enable-NAME/--disable-NAME (default: auto, i.e. built when
# DEPENDENCY-TEST succeeds), defines the automake conditional BUILD_NAME
# (upper case, '-' turned into '_') and records a line for CTD_SUMMARY.
# An explicit --enable-NAME whose dependencies are missing is an error,
# so a packager never ships less than was asked for.
AC_DEFUN([CTD_PLUGIN], [
  m4_pushdef([ctd_var], m4_translit([$1], [-], [_]))
  m4_pushdef([ctd_cond], m4_toupper(m4_translit([$1], [-], [_])))
  AC_ARG_ENABLE([$1],
    [AS_HELP_STRING([--enable-$1], [build the $1 plugin: $3 @<:@default: auto@:>@])],
    [], [enable_[]ctd_var=auto])
  AS_CASE(["$enable_[]ctd_var"],
    [no], [ctd_build=no; ctd_why="disabled with --disable-$1"],
    [yes|auto],
      [AS_IF([$4],
         [ctd_build=yes; ctd_why=""],
         [AS_IF([test "x$enable_[]ctd_var" = xyes],
                [AC_MSG_ERROR([--enable-$1 was given but $5])])
          ctd_build=no; ctd_why="$5"])],
    [AC_MSG_ERROR([bad value '$enable_[]ctd_var' for --enable-$1 (yes, no or auto)])])
  AM_CONDITIONAL([BUILD_]ctd_cond, [test "x$ctd_build" = xyes])
  AS_IF([test "x$ctd_build" = xyes],
        [ctd_summary_built="$ctd_summary_built $1"
         ctd_summary_lines="$ctd_summary_lines
m4_format([    %-22s], [$1]) yes  ($3)"],
        [ctd_summary_lines="$ctd_summary_lines
m4_format([    %-22s], [$1]) no   ($ctd_why)"])
  m4_popdef([ctd_cond])
  m4_popdef([ctd_var])
])

# CTD_SUMMARY
# -----------
# Prints what will be built, and for each plugin left out, why.
AC_DEFUN([CTD_SUMMARY], [
  AS_ECHO([""])
  AS_ECHO(["$PACKAGE_NAME $PACKAGE_VERSION configuration summary"])
  AS_ECHO(["  compiler:          $CXX $CXXFLAGS"])
  AS_ECHO(["  prefix:            $prefix"])
  ctd_show_plugindir=$(
    test "x$prefix" = xNONE && prefix=$ac_default_prefix
    test "x$exec_prefix" = xNONE && exec_prefix=$prefix
    pkglibdir='${libdir}/${PACKAGE}'
    d=$plugindir
    for i in 1 2 3 4 5 6 7 8; do d=$(eval echo "$d"); done
    echo "$d")
  AS_ECHO(["  plugin directory:  $ctd_show_plugindir"])
  AS_ECHO(["  programs:          conntrack conntrackd"])
  AS_ECHO(["  unit tests:        $have_cppunit (CppUnit)"])
  AS_ECHO(["  plugins:$ctd_summary_lines"])
  AS_ECHO([""])
])
