build/tests/spec_runner.o: tests/spec/spec_runner.c renderer/arena.h \
 renderer/buf.h renderer/document.h renderer/error.h renderer/template.h \
 tests/unit/test.h renderer/value.h
renderer/arena.h:
renderer/buf.h:
renderer/document.h:
renderer/error.h:
renderer/template.h:
tests/unit/test.h:
renderer/value.h:
