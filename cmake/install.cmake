# cmake --install and cpack -G DEB: the binaries, the man page, the shell
# completions and the README under the GNU directories of the prefix.
include(GNUInstallDirs)

install(TARGETS ngram-count RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET ngram-gen)
  install(TARGETS ngram-gen RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The man page is written from --help by help2man, so the two cannot say
# different things; without help2man the build goes on without a page.
find_program(NGC_HELP2MAN help2man)
if(NGC_HELP2MAN)
  set(NGC_MAN_PAGE ${PROJECT_BINARY_DIR}/ngram-count.1)
  add_custom_command(OUTPUT ${NGC_MAN_PAGE}
    COMMAND ${NGC_HELP2MAN} --no-info --section=1 --source=ngram-count
            "--name=exact n-gram totals of Google Books Ngram files and raw text"
            --output=${NGC_MAN_PAGE} $<TARGET_FILE:ngram-count>
    DEPENDS ngram-count
    COMMENT "Writing the man page ngram-count.1 from --help")
  add_custom_target(ngram-count-man ALL DEPENDS ${NGC_MAN_PAGE})
  install(FILES ${NGC_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man page (apt-get install help2man)")
endif()

install(FILES ${PROJECT_SOURCE_DIR}/completions/ngram-count.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ngram-count)
# zsh looks in /usr/share/zsh/vendor-completions (Debian's place for
# packages) and /usr/local/share/zsh/site-functions: the one that matches
# the prefix at install time, so a .deb and a /usr/local install both work.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(ngc_zsh_dir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions\")
  else()
    set(ngc_zsh_dir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/zsh/site-functions\")
  endif()
  file(INSTALL \"${PROJECT_SOURCE_DIR}/completions/_ngram-count\" DESTINATION \"\${ngc_zsh_dir}\")
")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/engine/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME ARCHITECTURE.md)

set(CPACK_PACKAGE_NAME ngram-count)
set(CPACK_PACKAGE_VENDOR "ngram-count")
set(CPACK_PACKAGE_CONTACT "ngram-count maintainers <ngram-count@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "exact n-gram totals of Google Books Ngram files and raw text, on every core")
set(CPACK_PACKAGE_DESCRIPTION
  "Totals the counts of every n-gram in Google Books Ngram files of any release\n(plain or gzip) and counts the n-grams of raw text, with worker processes\nthat merge into a shared-memory table and spill to disk when it is full.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the libraries the binaries link (dpkg-shlibdeps), and the
# ones ngram-count opens when a run needs them (CMakeLists.txt's
# NGC_DLOPEN_PACKAGES), which dpkg-shlibdeps cannot see.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(NGC_DLOPEN_PACKAGES)
  list(REMOVE_DUPLICATES NGC_DLOPEN_PACKAGES)
  list(JOIN NGC_DLOPEN_PACKAGES ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
endif()
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/ngram-count")
set(CPACK_GENERATOR DEB)
include(CPack)
