# The Debian package, `streamengine_<version>_<arch>.deb` (`./dev package`, or
# `cpack` in any build folder): what `cmake --install` puts in place, under
# /usr whatever the build's own prefix, with its dependencies as Debian package
# names and the maintainer scripts in resources/deb/. Included at the end of
# the top CMakeLists.txt, once every install rule is known.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME streamengine)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR StreamEngine)
set(SE_PACKAGE_MAINTAINER "StreamEngine maintainers <streamengine@example.org>" CACHE STRING
    "The Maintainer field of the .deb")
set(CPACK_PACKAGE_CONTACT "${SE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "keeps a control room's media workers (GStreamer pipelines) alive")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}
StreamEngine starts media workers (GStreamer pipelines, each in a process of
its own or inside the engine), watches their pictures, restarts them when they
fail or stall, keeps them in SQLite and lets StreamHubs (SignalR) see and
steer them. It runs as the systemd service streamengine (user streamengine,
data in /var/lib/streamengine) or with its Qt dashboard, and is steered
locally with `streamengine ctl`.")
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # streamengine_0.1.0_amd64.deb
# The package installs under /usr (DESTDIR install with this prefix): the unit
# is filled in for it at install time (resources/CMakeLists.txt), and every
# other path between the installed files is relative.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Stripped as Debian ships programs; the build folder keeps the debug info.
set(CPACK_STRIP_FILES ON)

# Dependencies: the libraries the ELF files link, as dpkg-shlibdeps finds them
# (our own se_streamer_api is found through its RPATH and is in the package),
# plus what is loaded at run time, which shlibdeps cannot see: the GStreamer
# elements of the demo and of ordinary pipelines (videotestsrc, videoconvert,
# videorate, timeoverlay: base; jpegenc: good), Qt's SQLite driver, and a way
# to make the system user.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "gstreamer1.0-plugins-base, gstreamer1.0-plugins-good, libqt6sql6-sqlite, systemd-sysusers | adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "gstreamer1.0-plugins-bad, gstreamer1.0-plugins-ugly, gstreamer1.0-libav")

# postinst: the user streamengine (systemd-sysusers with the package's
# sysusers.d entry, else adduser) and `systemctl daemon-reload`; an upgrade
# restarts a running service, a first install neither enables nor starts it.
# prerm: a removal stops and disables the service. postrm: a purge removes
# /var/lib/streamengine (the database holds hub keys); the user stays.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/deb/postinst ${CMAKE_CURRENT_LIST_DIR}/deb/prerm ${CMAKE_CURRENT_LIST_DIR}/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
