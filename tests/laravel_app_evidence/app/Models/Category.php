<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\HasMany;

class Category extends Model
{
    protected $table = 'page_categories';

    protected $primaryKey = 'cat_id';

    // the local key is left out: cat_id
    public function pages(): HasMany
    {
        return $this->hasMany(Page::class, 'category_id');
    }
}
