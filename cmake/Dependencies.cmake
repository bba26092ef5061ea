# Every dependency is a Debian 12 package; scripts/install-deps.sh installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(TBB REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(SQUASHFS REQUIRED IMPORTED_TARGET libsquashfs1)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(LZMA REQUIRED IMPORTED_TARGET liblzma)
pkg_check_modules(LIBCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
find_path(TL_EXPECTED_INCLUDE tl/expected.hpp REQUIRED)
pkg_check_modules(LZO REQUIRED IMPORTED_TARGET lzo2)
pkg_check_modules(EXT2FS REQUIRED IMPORTED_TARGET ext2fs)
find_package(BZip2 REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
# Digests (SHA-256, SHA-1, MD5): nettle; also what libarchive.a uses for its own.
pkg_check_modules(NETTLE REQUIRED IMPORTED_TARGET nettle)
# Component classifiers: one Vectorscan database for every pattern, RE2 to capture versions.
pkg_check_modules(HS REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
# Vulnerability database: SQLite for storage, simdjson for the NVD feeds.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
find_package(simdjson REQUIRED)
find_package(yaml-cpp REQUIRED)  # manufacturer declarations in YAML (libyaml-cpp-dev)

# Start-up time: every shared library costs the dynamic loader symbol lookups and the process
# page faults (-z now resolves all of them before main). With the 30 shared libraries of the
# Debian packages, `iotaudit version` took 22 ms; with the libraries whose -dev packages ship a
# static archive linked from it, 13 ms (docs/design.md, "Static archives"). Each dep:: target
# below uses the archives when all of them are present and falls back to the shared library
# otherwise, so a system without them still builds.
option(IOTAUDIT_STATIC_DEPS "Link the libraries whose Debian -dev packages ship static archives from them" ON)
function(iotaudit_dep name)
  cmake_parse_arguments(D "" "" "ARCHIVES;LIBS;FALLBACK" ${ARGN})
  add_library(${name} INTERFACE IMPORTED GLOBAL)
  set(paths "")
  if(IOTAUDIT_STATIC_DEPS)
    foreach(a IN LISTS D_ARCHIVES)
      unset(_iotaudit_archive)
      find_library(_iotaudit_archive NAMES lib${a}.a NO_CACHE)
      if(NOT _iotaudit_archive)
        set(paths "")
        break()
      endif()
      list(APPEND paths ${_iotaudit_archive})
    endforeach()
  endif()
  if(paths)
    target_link_libraries(${name} INTERFACE ${paths} ${D_LIBS})
    foreach(f IN LISTS D_FALLBACK)
      foreach(prop INTERFACE_INCLUDE_DIRECTORIES INTERFACE_COMPILE_DEFINITIONS INTERFACE_COMPILE_OPTIONS)
        get_target_property(v ${f} ${prop})
        if(v)
          set_property(TARGET ${name} APPEND PROPERTY ${prop} ${v})
        endif()
      endforeach()
    endforeach()
  else()
    target_link_libraries(${name} INTERFACE ${D_FALLBACK})
  endif()
endfunction()
# Dependencies first: archives are searched in order, so users come before what they use.
iotaudit_dep(dep::zlib ARCHIVES z FALLBACK ZLIB::ZLIB)
iotaudit_dep(dep::bz2 ARCHIVES bz2 FALLBACK BZip2::BZip2)
iotaudit_dep(dep::lzma ARCHIVES lzma LIBS Threads::Threads FALLBACK PkgConfig::LZMA)
iotaudit_dep(dep::lzo ARCHIVES lzo2 FALLBACK PkgConfig::LZO)
iotaudit_dep(dep::lz4 ARCHIVES lz4 FALLBACK PkgConfig::LZ4)
iotaudit_dep(dep::zstd ARCHIVES zstd LIBS Threads::Threads FALLBACK PkgConfig::ZSTD)
iotaudit_dep(dep::squashfs ARCHIVES squashfs LIBS dep::lz4 dep::zlib dep::lzma dep::zstd Threads::Threads
             FALLBACK PkgConfig::SQUASHFS)
iotaudit_dep(dep::nettle ARCHIVES nettle FALLBACK PkgConfig::NETTLE)
# Only the format readers iotaudit enables are linked from libarchive.a (not XAR, hence no
# libxml2 and ICU); its digests come from nettle (nettle-dev).
iotaudit_dep(dep::archive ARCHIVES archive LIBS dep::nettle dep::lz4 dep::bz2 dep::zstd dep::lzma dep::zlib
             FALLBACK PkgConfig::LIBARCHIVE)
iotaudit_dep(dep::ext2fs ARCHIVES ext2fs com_err FALLBACK PkgConfig::EXT2FS)
iotaudit_dep(dep::hs ARCHIVES hs FALLBACK PkgConfig::HS)
iotaudit_dep(dep::re2 ARCHIVES re2 LIBS Threads::Threads FALLBACK PkgConfig::RE2)
iotaudit_dep(dep::sqlite ARCHIVES sqlite3 LIBS ${CMAKE_DL_LIBS} m Threads::Threads FALLBACK PkgConfig::SQLITE3)
iotaudit_dep(dep::crypto ARCHIVES crypto LIBS ${CMAKE_DL_LIBS} Threads::Threads FALLBACK OpenSSL::Crypto)
iotaudit_dep(dep::crypt ARCHIVES crypt FALLBACK PkgConfig::LIBCRYPT)
iotaudit_dep(dep::yaml ARCHIVES yaml-cpp FALLBACK yaml-cpp)

# The allocator of the programs (not of the libraries, tests or fuzz targets): mimalloc from
# libmimalloc-dev, with its pages offered to transparent huge pages. Short runs on virtual
# machines are dominated by page faults and malloc: `iotaudit match` of an SBOM with a Linux
# kernel ran 20 % faster than with glibc's allocator tuned for the same (docs/design.md,
# "The allocator"). The sanitizers bring their own allocator, so those builds keep glibc's.
option(IOTAUDIT_MIMALLOC "Link the iotaudit binary with mimalloc (libmimalloc-dev) when it is installed" ON)
add_library(iotaudit_allocator INTERFACE)
if(IOTAUDIT_MIMALLOC AND NOT IOTAUDIT_SANITIZE AND NOT IOTAUDIT_LIBFUZZER)
  find_package(mimalloc 2.0 CONFIG QUIET)
  if(mimalloc_FOUND)
    target_link_libraries(iotaudit_allocator INTERFACE mimalloc)
    target_compile_definitions(iotaudit_allocator INTERFACE IOTAUDIT_MIMALLOC=1)
  else()
    message(WARNING "mimalloc not found (libmimalloc-dev): the iotaudit binary uses glibc's allocator, which is slower")
  endif()
endif()
