# Data files (catalogs, credential lists) are compiled into the binary so a scan never depends on
# where it is installed. Each file becomes a byte array addressed by its path under data/.
function(iotaudit_embed_data target)
  file(GLOB_RECURSE data_files CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}/data
       ${PROJECT_SOURCE_DIR}/data/*)
  list(SORT data_files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_data.cpp)
  set(abs_files)
  foreach(f IN LISTS data_files)
    list(APPEND abs_files ${PROJECT_SOURCE_DIR}/data/${f})
  endforeach()
  string(REPLACE ";" "|" files_arg "${data_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DDATA_DIR=${PROJECT_SOURCE_DIR}/data -DOUT=${out}
            "-DFILES=${files_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_data_gen.cmake
    DEPENDS ${abs_files} ${PROJECT_SOURCE_DIR}/cmake/embed_data_gen.cmake
    COMMENT "Embedding data/ into the binary" VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
