build/obj/scalar.o: renderer/scalar.c renderer/scalar.h renderer/buf.h \
 renderer/utf8.h
renderer/scalar.h:
renderer/buf.h:
renderer/utf8.h:
