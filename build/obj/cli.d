build/obj/cli.o: renderer/cli.c renderer/cli.h renderer/buf.h \
 renderer/error.h renderer/suggest.h
renderer/cli.h:
renderer/buf.h:
renderer/error.h:
renderer/suggest.h:
