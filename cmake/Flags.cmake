set(IOTAUDIT_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wcast-align -Wformat=2 -Wimplicit-fallthrough
    # Unity builds include .cpp files into one another; GCC then reads a type from a file's
    # anonymous namespace used by a class of the same file as if it came from a header.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)

if(IOTAUDIT_HARDEN)
  # The same mitigations the ELF hardening checks look for in firmware.
  add_compile_options(-fstack-protector-strong -fstack-clash-protection -fPIE
                      -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -D_GLIBCXX_ASSERTIONS)
  add_link_options(-pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack)
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
endif()

if(IOTAUDIT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(IOTAUDIT_LIBFUZZER)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
