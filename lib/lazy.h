/*
 * lazy.h -- a shared library loaded at the first call of one of its
 * functions, not at every start (lib/lazy.c says why).
 *
 * LAZY(lib, type, name, (params), (args)) defines name with the library's
 * prototype: at its first call it looks the real function up in lib (a
 * struct lazy_lib), then calls it. An executable whose every call into a
 * library is defined this way is not linked against it (--as-needed).
 * Safe to call from several threads at once.
 */
#ifndef MEM_LAZY_H
#define MEM_LAZY_H

#include <stdatomic.h>

struct lazy_lib {
	const char *soname;
	void	*handle;	/* dlopen's, under lazy_sym's lock */
};

/* The address of name in lib, opening lib at the first call; a library or
 * function that cannot be loaded is fatal (exit 2), as it is to the
 * dynamic linker at start. */
void *lazy_sym(struct lazy_lib *lib, const char *name);

#define LAZY_FN(lib, type, name, params)				\
	static _Atomic(void *) addr;					\
	type (*fn) params;						\
	void *p = atomic_load_explicit(&addr, memory_order_acquire);	\
									\
	if (p == NULL) {						\
		p = lazy_sym(&(lib), #name);				\
		atomic_store_explicit(&addr, p, memory_order_release);	\
	}								\
	*(void **)&fn = p;

#define LAZY(lib, type, name, params, args)				\
type									\
name params								\
{									\
	LAZY_FN(lib, type, name, params)				\
	return fn args;							\
}

#define LAZY_VOID(lib, name, params, args)				\
void									\
name params								\
{									\
	LAZY_FN(lib, void, name, params)				\
	fn args;							\
}

#endif
