build/obj/main.o: renderer/main.c renderer/cli.h renderer/suggest.h
renderer/cli.h:
renderer/suggest.h:
