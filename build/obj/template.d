build/obj/template.o: renderer/template.c renderer/template_ops.h \
 renderer/template.h renderer/arena.h renderer/array.h renderer/buf.h \
 renderer/error.h
renderer/template_ops.h:
renderer/template.h:
renderer/arena.h:
renderer/array.h:
renderer/buf.h:
renderer/error.h:
