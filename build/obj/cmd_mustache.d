build/obj/cmd_mustache.o: renderer/cmd_mustache.c renderer/arena.h \
 renderer/buf.h renderer/cli.h renderer/document.h renderer/error.h \
 renderer/template.h renderer/value.h
renderer/arena.h:
renderer/buf.h:
renderer/cli.h:
renderer/document.h:
renderer/error.h:
renderer/template.h:
renderer/value.h:
