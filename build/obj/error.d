build/obj/error.o: renderer/error.c renderer/error.h renderer/array.h \
 renderer/buf.h renderer/utf8.h
renderer/error.h:
renderer/array.h:
renderer/buf.h:
renderer/utf8.h:
