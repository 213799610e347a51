from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'machines.c.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_banner = resolve('banner')
    l_0_includes = resolve('includes')
    l_0_preamble = resolve('preamble')
    l_0_forward = resolve('forward')
    l_0_body = resolve('body')
    pass
    yield str((undefined(name='banner') if l_0_banner is missing else l_0_banner))
    yield '\n'
    if (undefined(name='includes') if l_0_includes is missing else l_0_includes):
        pass
        yield '\n'
        for l_1_line in (undefined(name='includes') if l_0_includes is missing else l_0_includes):
            _loop_vars = {}
            pass
            yield str(l_1_line)
            yield '\n'
        l_1_line = missing
    for l_1_block in (undefined(name='preamble') if l_0_preamble is missing else l_0_preamble):
        _loop_vars = {}
        pass
        yield '\n'
        yield str(l_1_block)
        yield '\n'
    l_1_block = missing
    if (undefined(name='forward') if l_0_forward is missing else l_0_forward):
        pass
        yield '\n'
        for l_1_line in (undefined(name='forward') if l_0_forward is missing else l_0_forward):
            _loop_vars = {}
            pass
            yield str(l_1_line)
            yield '\n'
        l_1_line = missing
    for l_1_block in (undefined(name='body') if l_0_body is missing else l_0_body):
        _loop_vars = {}
        pass
        yield '\n'
        yield str(l_1_block)
        yield '\n'
    l_1_block = missing

blocks = {}
debug_info = '1=16&2=18&4=21&5=24&8=27&10=31&12=34&14=37&15=40&18=43&20=47'