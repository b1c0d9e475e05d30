build/obj/utf8.o: renderer/utf8.c renderer/utf8.h
renderer/utf8.h:
