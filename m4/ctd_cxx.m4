# CTD_CXX_STD20
# -------------
# The code base is C++20.  Add -std=c++20 unless the compiler already
# defaults to it, and stop early with a clear message when it cannot.
AC_DEFUN([CTD_CXX_STD20], [
  AC_CACHE_CHECK([whether $CXX supports C++20], [ctd_cv_cxx20], [
    ctd_cv_cxx20=no
    ctd_save_CXX="$CXX"
    for ctd_flag in "" "-std=c++20" "-std=c++2a"; do
      CXX="$ctd_save_CXX $ctd_flag"
      AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
#include <span>
#include <concepts>
#if __cplusplus < 202002L
#error not C++20
#endif
template <std::integral T> T twice(T v) { return v * 2; }
]], [[std::span<const int> s; (void)s; return twice(0);]])],
        [ctd_cv_cxx20="${ctd_flag:-default}"; break])
    done
    CXX="$ctd_save_CXX"])
  AS_CASE(["$ctd_cv_cxx20"],
    [no], [AC_MSG_ERROR([$CXX does not support C++20; use g++ >= 10 or clang++ >= 12])],
    [default], [],
    [CXX="$CXX $ctd_cv_cxx20"])
])

# CTD_WARNINGS
# ------------
# Warnings every file is compiled with, and --enable-werror to make them
# fatal (CI builds with it, for both g++ and clang++).
AC_DEFUN([CTD_WARNINGS], [
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
    [], [enable_werror=no])
  CTD_WARN_CXXFLAGS="-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wformat=2"
  AS_IF([test "x$enable_werror" = xyes],
        [CTD_WARN_CXXFLAGS="$CTD_WARN_CXXFLAGS -Werror"])
  AC_SUBST([CTD_WARN_CXXFLAGS])
])

# CTD_BOOST_PROGRAM_OPTIONS
# -------------------------
# Boost ships no pkg-config file; check the header and the library by hand.
AC_DEFUN([CTD_BOOST_PROGRAM_OPTIONS], [
  AC_CHECK_HEADER([boost/program_options.hpp], [],
    [AC_MSG_ERROR([Boost.Program_options headers not found (Debian: libboost-program-options-dev)])])
  AC_CACHE_CHECK([for the Boost.Program_options library], [ctd_cv_boost_po], [
    ctd_save_LIBS="$LIBS"
    LIBS="$LIBS -lboost_program_options"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <boost/program_options.hpp>]],
      [[boost::program_options::options_description d("x"); d.add_options()("a", "b");]])],
      [ctd_cv_boost_po=yes], [ctd_cv_boost_po=no])
    LIBS="$ctd_save_LIBS"])
  AS_IF([test "x$ctd_cv_boost_po" != xyes],
    [AC_MSG_ERROR([cannot link with -lboost_program_options])])
  BOOST_PROGRAM_OPTIONS_LIBS=-lboost_program_options
  AC_SUBST([BOOST_PROGRAM_OPTIONS_LIBS])
])
