build/obj/buf.o: renderer/buf.c renderer/buf.h
renderer/buf.h:
