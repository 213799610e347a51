/*
 * Test stand-in for QEMU's include/qom/object.h: a type is registered from
 * a constructor (type_init, like QEMU's module_init) into a table that the
 * harness walks, running the class_init of each parent first, as QOM does;
 * the harness defines type_register_static().
 */
#ifndef QOM_OBJECT_H
#define QOM_OBJECT_H

typedef struct ObjectClass {
    const char *type_name;
} ObjectClass;

/* An instance knows its class (object_get_class()). */
typedef struct Object {
    ObjectClass *class;
} Object;

#define OBJECT_CLASS(klass) ((ObjectClass *)(klass))

typedef struct TypeInfo {
    const char *name;
    const char *parent;
    bool abstract;
    void (*class_init)(ObjectClass *klass, void *data);
} TypeInfo;

void type_register_static(const TypeInfo *info);

/* The class of a type this binary has, or NULL; the harness defines it. */
ObjectClass *module_object_class_by_name(const char *typename);

#define MTC_STUB_TYPE_INIT(function) \
    static void __attribute__((constructor)) mtc_stub_init_ ## function(void) \
    { \
        function(); \
    }
/* Expands its argument first: DEFINE_PC_VER_MACHINE passes a MACHINE_VER_SYM(). */
#define type_init(function) MTC_STUB_TYPE_INIT(function)

#endif
