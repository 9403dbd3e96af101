# migrations.cmake: compiles the numbered files in sql/, the repeatable
# modules in sql/modules/ and the field facts of proto/crm.proto (the
# build's proto/crm_field_facts.sql, from proto/gen_fields.py) into crmd.
#
# include()d from a CMakeLists.txt, it defines
#   CRM_MIGRATIONS_C  ${CMAKE_CURRENT_BINARY_DIR}/migrations_data.c, to add to
#                     the sources of the target that links server/migrate.c
#   CRM_MIGRATION_FILES  the sql/NNNN_*.sql files, in order
#   CRM_MODULE_FILES  the sql/modules/NN_*.sql files, in order (by file name)
#   CRM_FIELD_FACTS_SQL  the build's proto/crm_field_facts.sql (compiled in as
#                     crm_field_facts_sql)
# and the custom command that generates the file. The glob is re-checked at
# build time (CONFIGURE_DEPENDS), so adding a migration needs no manual
# re-run of cmake, and editing one regenerates the data; so does editing
# crm.proto (the facts file is regenerated first: the target that compiles
# the C file links crmproto, which depends on the target crm_field_facts,
# as Makefile generators need for a file made in another directory).
#
# Run with `cmake -DCRM_OUT=... -DCRM_FILES=a;b -DCRM_MODULES=c;d
# -DCRM_FACTS=... -P migrations.cmake` (which the custom command does), it
# writes the C file: each file's bytes as an unsigned char array with a
# trailing NUL, the crm_migrations[] table of server/migrate.h, ordered by
# version, the crm_modules[] table, ordered by file name, and
# crm_field_facts_sql.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  file(GLOB CRM_MIGRATION_FILES CONFIGURE_DEPENDS
       "${PROJECT_SOURCE_DIR}/sql/[0-9][0-9][0-9][0-9]_*.sql")
  list(SORT CRM_MIGRATION_FILES)
  # A .sql file the pattern misses would silently never be applied.
  file(GLOB crm_all_sql CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/sql/*.sql")
  foreach(f IN LISTS crm_all_sql)
    if(NOT f IN_LIST CRM_MIGRATION_FILES)
      message(FATAL_ERROR "${f}: a migration is named NNNN_lowercase_words.sql")
    endif()
  endforeach()
  file(GLOB CRM_MODULE_FILES CONFIGURE_DEPENDS
       "${PROJECT_SOURCE_DIR}/sql/modules/[0-9][0-9]_*.sql")
  list(SORT CRM_MODULE_FILES)
  file(GLOB crm_all_modules CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/sql/modules/*.sql")
  foreach(f IN LISTS crm_all_modules)
    if(NOT f IN_LIST CRM_MODULE_FILES OR NOT f MATCHES "/[0-9][0-9]_[a-z0-9_]+\\.sql$")
      message(FATAL_ERROR "${f}: a module is named NN_lowercase_words.sql")
    endif()
  endforeach()
  set(CRM_FIELD_FACTS_SQL "${PROJECT_BINARY_DIR}/proto/crm_field_facts.sql")
  set(CRM_MIGRATIONS_C "${CMAKE_CURRENT_BINARY_DIR}/migrations_data.c")
  add_custom_command(
    OUTPUT "${CRM_MIGRATIONS_C}"
    COMMAND "${CMAKE_COMMAND}" "-DCRM_OUT=${CRM_MIGRATIONS_C}"
            "-DCRM_FILES=${CRM_MIGRATION_FILES}" "-DCRM_MODULES=${CRM_MODULE_FILES}"
            "-DCRM_FACTS=${CRM_FIELD_FACTS_SQL}" -P "${CMAKE_CURRENT_LIST_FILE}"
    DEPENDS ${CRM_MIGRATION_FILES} ${CRM_MODULE_FILES} "${CRM_FIELD_FACTS_SQL}"
            "${CMAKE_CURRENT_LIST_FILE}"
    COMMENT "Embedding sql/ migrations and modules and the field facts"
    VERBATIM)
  return()
endif()

# ---------------------------------------------------------------- script mode

cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED CRM_OUT OR NOT DEFINED CRM_FACTS)
  message(FATAL_ERROR "migrations.cmake: CRM_OUT and CRM_FACTS must be set")
endif()

# Appends to `arrays` the bytes of `path` as the C array `var`; sets `len`.
function(crm_embed path var name)
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR n "${hexlen} / 2")
  # "0xNN," per byte, 16 to a line (CMake regexes have no {n}).
  string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line_re)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(${line_re})" "\\1\n\t" bytes "${bytes}")
  set(arrays "${arrays}/* ${name} */\nstatic const unsigned char ${var}[] = {\n\t${bytes}0x00};\n\n"
      PARENT_SCOPE)
  set(len ${n} PARENT_SCOPE)
endfunction()

set(arrays "")
set(entries "")
set(count 0)
set(seen_versions "")
list(SORT CRM_FILES)
foreach(path IN LISTS CRM_FILES)
  get_filename_component(name "${path}" NAME)
  if(NOT name MATCHES "^([0-9][0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "${path}: a migration is named NNNN_lowercase_words.sql")
  endif()
  string(REGEX REPLACE "^0*([0-9]+)$" "\\1" version "${CMAKE_MATCH_1}")
  if(version EQUAL 0)
    message(FATAL_ERROR "${path}: migration numbers start at 0001")
  endif()
  if(version IN_LIST seen_versions)
    message(FATAL_ERROR "${path}: another migration already has number ${CMAKE_MATCH_1}")
  endif()
  list(APPEND seen_versions ${version})

  crm_embed("${path}" "m_${version}" "${name}")
  string(APPEND entries
    "\t{${version}, \"${name}\", (const char *)m_${version}, ${len}},\n")
  math(EXPR count "${count} + 1")
endforeach()

if(count EQUAL 0)
  # C has no empty arrays; the count says there is nothing in it.
  set(entries "\t{0, \"\", \"\", 0},\n")
endif()

set(module_entries "")
set(module_count 0)
list(SORT CRM_MODULES)
foreach(path IN LISTS CRM_MODULES)
  get_filename_component(name "${path}" NAME)
  if(NOT name MATCHES "^[0-9][0-9]_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "${path}: a module is named NN_lowercase_words.sql")
  endif()
  crm_embed("${path}" "r_${module_count}" "modules/${name}")
  string(APPEND module_entries "\t{\"${name}\", (const char *)r_${module_count}, ${len}},\n")
  math(EXPR module_count "${module_count} + 1")
endforeach()
if(module_count EQUAL 0)
  set(module_entries "\t{\"\", \"\", 0},\n")
endif()

crm_embed("${CRM_FACTS}" "f_facts" "crm_field_facts.sql")
set(facts_entry "{\"crm_field_facts.sql\", (const char *)f_facts, ${len}}")

set(text "/* Generated by server/migrations.cmake from sql/ and crm_field_facts.sql. Do not edit. */\n")
string(APPEND text "#include \"migrate.h\"\n\n")
string(APPEND text "${arrays}")
string(APPEND text "const crm_migration crm_migrations[] = {\n${entries}};\n\n")
string(APPEND text "const int crm_migrations_count = ${count};\n\n")
string(APPEND text "const crm_module crm_modules[] = {\n${module_entries}};\n\n")
string(APPEND text "const int crm_modules_count = ${module_count};\n\n")
string(APPEND text "const crm_module crm_field_facts_sql = ${facts_entry};\n")
file(WRITE "${CRM_OUT}" "${text}")
