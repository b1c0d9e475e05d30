PKG_CFLAGS := 
PKG_LIBS := -lyaml -lgit2 -lxxhash -lpcre2-8 
