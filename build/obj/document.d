build/obj/document.o: renderer/document.c renderer/document.h \
 renderer/arena.h renderer/array.h renderer/buf.h renderer/error.h \
 renderer/scalar.h renderer/value.h
renderer/document.h:
renderer/arena.h:
renderer/array.h:
renderer/buf.h:
renderer/error.h:
renderer/scalar.h:
renderer/value.h:
