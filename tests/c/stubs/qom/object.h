/*
 * Test stand-in for QEMU's include/qom/object.h: a type is registered from
 * a constructor (type_init, like QEMU's module_init) into a table that the
 * harness walks; the harness defines type_register_static().
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
    void (*class_init)(ObjectClass *klass, void *data);
} TypeInfo;

void type_register_static(const TypeInfo *info);

#define MTC_STUB_TYPE_INIT(function) \
    static void __attribute__((constructor)) mtc_stub_init_ ## function(void) \
    { \
        function(); \
    }
/* Expands its argument first: DEFINE_PC_VER_MACHINE passes a MACHINE_VER_SYM(). */
#define type_init(function) MTC_STUB_TYPE_INIT(function)

#endif
