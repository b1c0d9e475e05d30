build/obj/escape.o: renderer/escape.c renderer/escape.h renderer/buf.h \
 renderer/utf8.h
renderer/escape.h:
renderer/buf.h:
renderer/utf8.h:
