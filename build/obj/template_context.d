build/obj/template_context.o: renderer/template_context.c \
 renderer/template_ops.h renderer/template.h renderer/arena.h \
 renderer/buf.h renderer/error.h
renderer/template_ops.h:
renderer/template.h:
renderer/arena.h:
renderer/buf.h:
renderer/error.h:
