build/obj/arena.o: renderer/arena.c renderer/arena.h
renderer/arena.h:
