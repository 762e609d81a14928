/*
 * no_profile.c -- no language-profile tables: linked instead of
 * build/langid_profile.c where the library's objects are used before those
 * tables exist (tools/profile.c, which writes them) or without them (the
 * fuzzers' build): every normaliser then builds its own profile at run time
 * (src/internal.h, kuzat__langid_tables). A build tool, not part of libkuzat.
 */
#include "internal.h"

const kz_profile_tables *const kuzat__langid_tables = NULL;
