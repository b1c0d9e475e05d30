build/obj/value.o: renderer/value.c renderer/value.h renderer/arena.h \
 renderer/buf.h renderer/scalar.h
renderer/value.h:
renderer/arena.h:
renderer/buf.h:
renderer/scalar.h:
