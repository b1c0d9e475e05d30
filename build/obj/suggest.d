build/obj/suggest.o: renderer/suggest.c renderer/suggest.h
renderer/suggest.h:
