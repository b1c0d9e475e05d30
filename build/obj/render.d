build/obj/render.o: renderer/render.c renderer/template_ops.h \
 renderer/template.h renderer/array.h renderer/buf.h renderer/error.h \
 renderer/escape.h renderer/scalar.h renderer/utf8.h renderer/value.h
renderer/template_ops.h:
renderer/template.h:
renderer/array.h:
renderer/buf.h:
renderer/error.h:
renderer/escape.h:
renderer/scalar.h:
renderer/utf8.h:
renderer/value.h:
